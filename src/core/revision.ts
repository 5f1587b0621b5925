/**
 * What is wrong with a revision (a commit, tag or branch, or `A..B`) handed to git, or undefined. One
 * that starts with `-` would be read as an option (`--output=FILE` overwrites a file), so it is refused
 * wherever a revision comes in: a document, a flag, a stored run.
 */
export function revisionProblem(rev: string): string | undefined {
  if (rev.split(/\.\.\.?/).some((side) => side.startsWith("-")))
    return `${JSON.stringify(rev)} starts with "-" (expected a commit, tag or branch)`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s\x00-\x1f\x7f]/.test(rev) || rev === "")
    return `${JSON.stringify(rev)} holds a space or control character (expected a commit, tag or branch)`;
  return undefined;
}
