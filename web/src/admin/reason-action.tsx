import { useEffect, useRef, useState } from 'preact/hooks';

/** A moderation button that asks for a reason (kept in the audit log) before acting. */
export function ReasonAction(props: {
  label: string;
  /** Names the target for screen readers, e.g. "Ban alice". */
  accessibleLabel: string;
  danger?: boolean;
  onConfirm: (reason: string | undefined) => Promise<unknown>;
}) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (open) field.current?.focus();
  }, [open]);

  if (!open)
    return (
      <button
        type="button"
        class={props.danger ? 'danger' : ''}
        aria-label={props.accessibleLabel}
        onClick={() => setOpen(true)}
      >
        {props.label}
      </button>
    );
  return (
    <form
      class="row reason"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        void props.onConfirm(reason.trim() || undefined).finally(() => {
          setBusy(false);
          setOpen(false);
          setReason('');
        });
      }}
    >
      <label class="visually-hidden" for={`reason-${props.accessibleLabel}`}>
        Reason for: {props.accessibleLabel}
      </label>
      <input
        id={`reason-${props.accessibleLabel}`}
        ref={field}
        placeholder="reason (optional)"
        maxLength={500}
        value={reason}
        onInput={(e) => setReason(e.currentTarget.value)}
        onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
      />
      <button type="submit" class={props.danger ? 'danger' : ''} disabled={busy}>
        Confirm {props.label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}
