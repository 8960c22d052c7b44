export declare const repoRoot: string;
export interface LintMessage {
  rule: string | null;
  line: number;
  message: string;
}
export declare function lintSource(code: string, relPath: string): Promise<LintMessage[]>;
