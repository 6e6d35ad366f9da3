/**
 * A small well-formedness checker for the XML dl writes (SVG): a character-level tokenizer, no
 * regular expressions and no dependency. It checks that tags nest and close, attributes are quoted
 * and unique, entity references are known, and there is exactly one root element. Returns the
 * text content of every element by tag name, so tests can look for <text> labels.
 */
export interface XmlSummary {
  root: string;
  /** Text content of each element, grouped by tag name, in document order. */
  texts: Map<string, string[]>;
  elements: number;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function checkXml(src: string): XmlSummary {
  let i = 0;
  const stack: { name: string; text: string }[] = [];
  const texts = new Map<string, string[]>();
  let root = "";
  let elements = 0;
  let rootClosed = false;
  const fail = (why: string): never => {
    const line = src.slice(0, i).split("\n").length;
    throw new Error(`XML not well-formed at line ${line}: ${why}`);
  };
  const isNameChar = (c: string) =>
    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "-" || c === "_" || c === ":" || c === ".";
  const readName = (): string => {
    const start = i;
    while (i < src.length && isNameChar(src[i])) i++;
    if (i === start) fail(`expected a name, found ${JSON.stringify(src[i])}`);
    return src.slice(start, i);
  };
  const skipSpace = () => {
    while (i < src.length && (src[i] === " " || src[i] === "\n" || src[i] === "\t" || src[i] === "\r")) i++;
  };
  const decode = (s: string): string => {
    let out = "";
    for (let k = 0; k < s.length; k++) {
      if (s[k] === "<") fail("'<' inside text or an attribute");
      if (s[k] !== "&") {
        out += s[k];
        continue;
      }
      const end = s.indexOf(";", k);
      if (end < 0) fail("unterminated entity");
      const name = s.slice(k + 1, end);
      if (name.startsWith("#")) out += String.fromCodePoint(Number(name.startsWith("#x") ? "0x" + name.slice(2) : name.slice(1)));
      else if (name in ENTITIES) out += ENTITIES[name];
      else fail(`unknown entity &${name};`);
      k = end;
    }
    return out;
  };

  while (i < src.length) {
    if (src.startsWith("<?", i)) {
      const end = src.indexOf("?>", i);
      if (end < 0) fail("unterminated processing instruction");
      i = end + 2;
    } else if (src.startsWith("<!--", i)) {
      const end = src.indexOf("-->", i);
      if (end < 0) fail("unterminated comment");
      i = end + 3;
    } else if (src.startsWith("</", i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (src[i] !== ">") fail(`expected '>' after </${name}`);
      i++;
      const top = stack.pop();
      if (!top || top.name !== name) fail(`</${name}> closes ${top ? `<${top.name}>` : "nothing"}`);
      texts.set(name, [...(texts.get(name) ?? []), top!.text]);
      if (stack.length === 0) rootClosed = true;
    } else if (src[i] === "<") {
      i++;
      if (rootClosed) fail("a second root element");
      const name = readName();
      elements++;
      if (stack.length === 0) root = name;
      const seen = new Set<string>();
      for (;;) {
        skipSpace();
        if (src.startsWith("/>", i)) {
          i += 2;
          texts.set(name, [...(texts.get(name) ?? []), ""]);
          if (stack.length === 0) rootClosed = true;
          break;
        }
        if (src[i] === ">") {
          i++;
          stack.push({ name, text: "" });
          break;
        }
        const attr = readName();
        if (seen.has(attr)) fail(`duplicate attribute ${attr} on <${name}>`);
        seen.add(attr);
        skipSpace();
        if (src[i] !== "=") fail(`attribute ${attr} has no value`);
        i++;
        skipSpace();
        const q = src[i];
        if (q !== '"' && q !== "'") fail(`attribute ${attr} is not quoted`);
        const end = src.indexOf(q, i + 1);
        if (end < 0) fail(`unterminated value of ${attr}`);
        decode(src.slice(i + 1, end));
        i = end + 1;
      }
    } else {
      const end = src.indexOf("<", i);
      const chunk = src.slice(i, end < 0 ? src.length : end);
      const text = decode(chunk);
      if (stack.length === 0) {
        if (text.trim() !== "") fail("text outside the root element");
      } else {
        for (const open of stack) open.text += text;
      }
      i = end < 0 ? src.length : end;
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) fail("no root element");
  return { root, texts, elements };
}
