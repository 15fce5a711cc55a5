"""WCAG contrast of an element's text against what is behind it, measured in the browser.

contrast(locator) reads the element's computed colour and the first opaque background colour among it
and its ancestors (the page's canvas white or black when none), and returns the WCAG 2 ratio: 4.5
is the least for normal text (AA). Colours only: an element over an image is out of its reach.
"""

CONTRAST_JS = """
(el) => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  let background = null;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const bg = parse(getComputedStyle(node).backgroundColor);
    if (bg && bg.a > 0.5) { background = bg; break; }
  }
  if (!background) {
    const dark = getComputedStyle(document.documentElement).colorScheme.includes("dark")
      && matchMedia("(prefers-color-scheme: dark)").matches;
    background = dark ? { r: 0, g: 0, b: 0 } : { r: 255, g: 255, b: 255 };
  }
  const fg = parse(getComputedStyle(el).color);
  const [hi, lo] = [luminance(fg), luminance(background)].sort((a, b) => b - a);
  return { ratio: (hi + 0.05) / (lo + 0.05), fg: getComputedStyle(el).color, bg: background };
}
"""


def contrast(locator) -> float:
    return locator.evaluate(CONTRAST_JS)["ratio"]


def background_luminance(locator) -> float:
    """0 (black) to 1 (white): the first opaque background behind the element."""
    result = locator.evaluate(CONTRAST_JS)["bg"]
    return (0.2126 * result["r"] + 0.7152 * result["g"] + 0.0722 * result["b"]) / 255
