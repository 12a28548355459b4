// The Content-Type of a multipart/form-data upload, checked before the body is parsed: the
// parser (busboy) only throws plain errors about a missing boundary or a body that never
// matches it, where a client needs to be told what is wrong with its header.

// RFC 9110 §5.6.2 token, §5.6.4 quoted-string; RFC 2046 §5.1.1 boundary characters.
const PARAMETER = /[ \t]*;[ \t]*(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*("(?:[^"\\]|\\[\s\S])*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+))?[ \t]*/y;
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** What is wrong with a multipart/form-data Content-Type's parameters; null when nothing is. */
export function formContentTypeProblem(contentType: string): string | null {
  const semicolon = contentType.indexOf(';');
  const params = semicolon < 0 ? '' : contentType.slice(semicolon);
  let boundary: string | undefined;
  PARAMETER.lastIndex = 0;
  while (PARAMETER.lastIndex < params.length) {
    const at = PARAMETER.lastIndex;
    const match = PARAMETER.exec(params);
    if (!match) return `The Content-Type's parameters are malformed at "${params.slice(at, at + 20)}" (expected ; name=value).`;
    // An empty parameter (a stray or trailing `;`) is harmless.
    const [, name, raw] = match;
    if (name === undefined || raw === undefined || name.toLowerCase() !== 'boundary') continue;
    if (boundary !== undefined) return 'The Content-Type names the boundary twice.';
    boundary = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\([\s\S])/g, '$1') : raw;
  }
  if (boundary === undefined) return 'The Content-Type has no boundary parameter (multipart/form-data; boundary=...).';
  if (!BOUNDARY.test(boundary)) {
    return 'The Content-Type\'s boundary must be 1-70 characters of letters, digits and \'()+_,-./:=? (a space allowed but not last), as RFC 2046 defines it.';
  }
  return null;
}
