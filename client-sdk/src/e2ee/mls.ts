import type {
  CiphersuiteImpl,
  ClientState,
  KeyPackage,
  MLSMessage,
  PrivateKeyPackage,
  Welcome,
} from 'ts-mls';

/**
 * The SDK's one door to ts-mls (RFC 9420). Loaded on first use with a dynamic import, so
 * apps that never open an E2EE room do not load MLS at all. Every MLS message crosses the
 * wire as base64 of its RFC 9420 encoding (an MLSMessage).
 */
export type Mls = Awaited<ReturnType<typeof loadMls>>;

/** X25519 + AES-128-GCM + SHA-256 + Ed25519: RFC 9420's mandatory-to-implement suite. */
export const CIPHERSUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;

let loading: ReturnType<typeof loadMls> | undefined;
export function mls(): ReturnType<typeof loadMls> {
  loading ??= loadMls();
  return loading;
}

async function loadMls() {
  const m = await import('ts-mls');
  const { makeKeyPackageRef } = await import('ts-mls/keyPackage.js');
  const { defaultClientConfig } = await import('ts-mls/clientConfig.js');
  const impl: CiphersuiteImpl = await m.getCiphersuiteImpl(m.getCiphersuiteFromName(CIPHERSUITE));
  const te = new TextEncoder();
  const td = new TextDecoder();

  const toB64 = (bytes: Uint8Array) => m.bytesToBase64(bytes);
  const fromB64 = (text: string): Uint8Array => {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  };
  const encode = (message: MLSMessage) => toB64(m.encodeMlsMessage(message));
  const decode = (text: string): MLSMessage | undefined =>
    m.decodeMlsMessage(fromB64(text), 0)?.[0];

  /** `userId/deviceId`: lets members map leaves to users (basic credential, not authenticated). */
  const identityOf = (userId: string, deviceId: string) => te.encode(`${userId}/${deviceId}`);
  function parseIdentity(bytes: Uint8Array): { userId: string; deviceId: string } | undefined {
    const [userId, deviceId] = td.decode(bytes).split('/');
    return userId && deviceId ? { userId, deviceId } : undefined;
  }

  return {
    impl,
    toB64,
    fromB64,
    encode,
    decode,
    textEncode: (s: string) => te.encode(s),
    textDecode: (b: Uint8Array) => td.decode(b),

    async newKeyPackage(userId: string, deviceId: string) {
      const kp = await m.generateKeyPackage(
        { credentialType: 'basic', identity: identityOf(userId, deviceId) },
        m.defaultCapabilities(),
        m.defaultLifetime,
        [],
        impl,
      );
      const ref = toB64(await makeKeyPackageRef(kp.publicPackage, impl.hash));
      const wire = encode({
        keyPackage: kp.publicPackage,
        wireformat: 'mls_key_package',
        version: 'mls10',
      });
      return { ref, wire, publicPackage: kp.publicPackage, privatePackage: kp.privatePackage };
    },
    /** The refs of the KeyPackages a Welcome has secrets for. */
    welcomeRefs: (welcome: Welcome) => welcome.secrets.map((s) => toB64(s.newMember)),
    keyPackageOf(wire: string): KeyPackage | undefined {
      const message = decode(wire);
      return message?.wireformat === 'mls_key_package' ? message.keyPackage : undefined;
    },
    encodePrivatePackage: (p: PrivateKeyPackage) =>
      JSON.stringify([p.initPrivateKey, p.hpkePrivateKey, p.signaturePrivateKey].map(toB64)),
    decodePrivatePackage(text: string): PrivateKeyPackage {
      const [initPrivateKey, hpkePrivateKey, signaturePrivateKey] = (
        JSON.parse(text) as string[]
      ).map(fromB64) as [Uint8Array, Uint8Array, Uint8Array];
      return { initPrivateKey, hpkePrivateKey, signaturePrivateKey };
    },
    encodeState: (state: ClientState) => toB64(m.encodeGroupState(state)),
    decodeState(text: string): ClientState | undefined {
      const decoded = m.decodeGroupState(fromB64(text), 0)?.[0];
      // The config is not part of the encoding: give back the one groups are made with.
      return decoded && { ...decoded, clientConfig: defaultClientConfig };
    },
    /** Current members, as (leaf index, user, device). */
    members(state: ClientState) {
      const out: { leafIndex: number; userId: string; deviceId: string }[] = [];
      state.ratchetTree.forEach((node, nodeIndex) => {
        if (node?.nodeType !== 'leaf') return;
        const who = parseIdentity(
          node.leaf.credential.credentialType === 'basic'
            ? node.leaf.credential.identity
            : new Uint8Array(),
        );
        if (who) out.push({ leafIndex: nodeIndex / 2, ...who });
      });
      return out;
    },
    epochOf: (state: ClientState) => state.groupContext.epoch,
    m,
  };
}
