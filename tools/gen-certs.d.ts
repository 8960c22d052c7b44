export declare const MEMBER_URI_PREFIX: string;
export interface CertFiles {
  cert: string;
  key: string;
}
export interface CertOptions {
  cn?: string;
  uriName?: string | null;
  hosts?: readonly string[];
}
export declare function makeCa(dir: string, caName?: string): CertFiles;
export declare function makeCert(dir: string, name: string, options?: CertOptions): CertFiles;
export declare function generateCerts(
  dir: string,
  names: readonly string[],
  options?: { caName?: string; hosts?: readonly string[] },
): { ca: string; certs: Record<string, CertFiles> };
export interface TestPki {
  ca: string;
  certs: Record<string, CertFiles>;
  otherCa: string;
  otherCerts: Record<string, CertFiles>;
  dir: string;
}
export declare function makeTestPki(root: string, names: readonly string[]): TestPki;
