/**
 * A client library the register patch knows how to make right: how to recognise a load of its
 * main entry, and how to patch and unpatch one loaded copy (its exports object).
 */
export interface Integration {
  /** The npm package name, e.g. `@grpc/grpc-js`: what `require()` is called with. */
  readonly name: string;
  /** The main entry below the package folder: the file an ES module's import of it loads. */
  readonly entry: string;
  /** The versions it supports and is tested with, as `>=A.B.C <X.Y.Z`; other copies are left alone. */
  readonly versions: string;
  /** Patches one copy; false (touching nothing) when the exports do not look like the library. */
  patch(exports: unknown): boolean;
  /**
   * Undoes `patch` on that copy, leaving in place whatever someone installed on top of ours.
   * Returns whether it took anything of ours off (again after whoever was on top left).
   */
  unpatch(exports: unknown): boolean;
  /**
   * Patches what one file of a copy exports, as that file loads: `file` is its path below the
   * package folder, with `/`, and `folder` the package folder. For a runtime whose load of the
   * main entry no hook sees (Bun, for an ES module's import of it): the files the entry requires
   * still pass one, before the entry hands its exports to anyone. Patches the same methods
   * `patch` does, so either may come first. False, touching nothing, for any other file.
   */
  patchFile(file: string, exports: unknown, folder: string): boolean;
  /** Undoes `patchFile` on that file's exports, like `unpatch`. */
  unpatchFile(file: string, exports: unknown): boolean;
}

/** Whether `version` (`A.B.C`, a pre-release counting as its release) lies in `range` (`>=A.B.C <X.Y.Z`). */
export function satisfies(version: string, range: string): boolean {
  const parse = (text: string | undefined) => (text ?? '').split(/[.+-]/).slice(0, 3).map(Number);
  const compare = (a: number[], b: number[]) => a.reduce((order, part, i) => order || Math.sign(part - (b[i] ?? 0)), 0);
  const [, low, high] = /^>=(\S+) <(\S+)$/.exec(range) ?? [];
  const parsed = parse(version);
  if (parsed.some(Number.isNaN) || low === undefined || high === undefined) return false;
  return compare(parsed, parse(low)) >= 0 && compare(parsed, parse(high)) < 0;
}
