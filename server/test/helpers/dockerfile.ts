import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');

export interface ImageStage {
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

/** The Dockerfile split into its stages (each FROM and what follows it). */
export function dockerfileStages(file = path.join(repoRoot, 'Dockerfile')): ImageStage[] {
  const dockerfile = DockerfileParser.parse(readFileSync(file, 'utf8'));
  const stages: ImageStage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({
        image: args.find((a) => !a.startsWith('--')) ?? '',
        name: as >= 0 ? args[as + 1] : undefined,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** What the image runs: the last stage's CMD (exec form), ENV and USER. */
export function imageRuntime() {
  const stage = dockerfileStages().at(-1);
  if (!stage) throw new Error('Dockerfile has no FROM');
  const of = (keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
  const cmdText = of('CMD').at(-1)?.getArgumentsContent();
  if (!cmdText) throw new Error('runtime stage has no CMD');
  const cmd = JSON.parse(cmdText) as unknown;
  if (!Array.isArray(cmd) || !cmd.every((part) => typeof part === 'string')) {
    throw new Error(`CMD is not in exec (JSON array) form: ${cmdText}`);
  }
  const env: Record<string, string> = {};
  for (const instruction of of('ENV')) {
    for (const match of (instruction.getArgumentsContent() ?? '').matchAll(/(\w+)=(\S+)/g)) {
      env[match[1]!] = match[2]!;
    }
  }
  return {
    stage,
    cmd: cmd as string[],
    env,
    user: of('USER').at(-1)?.getArgumentsContent() ?? 'root',
    workdir: of('WORKDIR').at(-1)?.getArgumentsContent() ?? '/',
  };
}
