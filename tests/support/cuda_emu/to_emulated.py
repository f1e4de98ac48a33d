"""Rewrite CUDA launch syntax for the CPU emulator: `k<<<g, b>>>(args);` ->
`emu::launch(dim3(g), dim3(b), [&] { k(args); });`. Usage: to_emulated.py IN OUT."""

import re
import sys


def split_top(s):
    """Split at commas outside parentheses and quotes."""
    parts, depth, cur, quote = [], 0, "", False
    for ch in s:
        if ch == '"':
            quote = not quote
        if not quote:
            depth += ch in "(<[{"
            depth -= ch in ")>]}"
        if ch == "," and depth == 0 and not quote:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def rewrite(text):
    pattern = re.compile(r"(\w+)<<<(.*?)>>>\((.*?)\);", re.S)

    def repl(m):
        grid, block = split_top(m.group(2))[:2]
        return f"emu::launch(dim3({grid}), dim3({block}), [&] {{ {m.group(1)}({m.group(3)}); }});"

    out, n = pattern.subn(repl, text)
    if "<<<" in out:
        raise SystemExit("unconverted launch left")
    return out, n


if __name__ == "__main__":
    text, n = rewrite(open(sys.argv[1]).read())
    open(sys.argv[2], "w").write(text)
    print(f"{n} launches rewritten")
