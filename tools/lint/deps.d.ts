export declare function packageOf(specifier: string): string | undefined;
export declare function checkPackage(
  dir: string,
  rootDevDependencies: ReadonlySet<string>,
): string[];
