// Self time per function from a V8 .cpuprofile, for profile.ts.

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  readonly file: string;
  readonly busyShare: number;
  readonly top: readonly { readonly fn: string; readonly share: number }[];
}

/** Self time per function (by name and file) as a share of all samples; "(idle)" is the event loop waiting. */
export function summarizeProfile(file: string, profile: CpuProfile, topN = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const n = byId.get(id);
    if (!n) return;
    total += dt;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') idle += dt;
    const where = n.callFrame.url
      ? ` ${n.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`
      : '';
    const key = `${name}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const top = [...self.entries()]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([fn, t]) => ({ fn, share: Math.round((t / Math.max(1, total)) * 1000) / 10 }));
  return { file, busyShare: Math.round((1 - idle / Math.max(1, total)) * 1000) / 10, top };
}
