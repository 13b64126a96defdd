#!/usr/bin/env python3
"""Check (or regenerate) the command transcripts of a document against
the lab.  Used by tests/lab/t_doc_transcripts.sh; see tests/lab/README.md.

A transcript is a fenced block (```) holding lines "nodeN# COMMAND", each
followed by its output and, usually, "[exit N]".  A "..." line in the
document stands for any run of lines.  An HTML comment on the line before
the fence steers a block:

  <!-- transcript: not-lab REASON -->          not of this lab: skipped
  <!-- transcript: not-yet-checked -->        not covered yet: skipped
  <!-- transcript: before=HOOK -->            run hook HOOK of the test
                                               script first (a step the
                                               document does in prose)

A document line ending in " ..." (e.g. a reason pgha cut at its length
limit, whose cut point moves with the digits of a pid) matches any line
that starts with what comes before the " ...".

Usage: doc_transcripts.py [--update] DOC RUNNER
RUNNER is called as "RUNNER exec NODE COMMAND" (prints the command's
output, exits with its status) and "RUNNER hook NAME".
Prints one TAP line per transcript block (no plan); with --update,
rewrites DOC's blocks that differ from the fresh run, keeping the "..."
elisions where they were.
"""
import difflib
import re
import subprocess
import sys
import time

PROMPT = re.compile(r'^(node[0-9]+)# (.*)$')
EXIT = re.compile(r'^\[exit [0-9]+\]$')
LOOKS = re.compile(r'^pgha (status|events|validate)\b')
EVENTS = re.compile(r'^pgha events\b')
SETTLE = 20	# seconds
MARK = re.compile(r'^<!-- transcript: (.*?) ?-->$')

# Volatile parts: what differs from run to run with the same code.
VOLATILE = [
    (re.compile(r'\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?'), '<DATE>'),
    (re.compile(r'\b\d\d:\d\d:\d\d(\.\d+)?\b'), '<TIME>'),
    (re.compile(r'\b\d+(\.\d+)? ?(ms|s|min|m|h)\b'), '<DUR>'),
    (re.compile(r'\b(uid|gid|pid|sha256) [0-9a-f]+\b'), r'\1 <N>'),
    (re.compile(r'\[[0-9]+\]'), '[<N>]'),
    (re.compile(r'/dev/loop[0-9]+'), '/dev/loop<N>'),
    (re.compile(r'\b[0-9a-f]{12,64}\b'), '<HEX>'),
    (re.compile(r'/var/tmp/[A-Za-z0-9_.-]+-lab\b'), '/var/tmp/<LAB>-lab'),
    (re.compile(r'waiting for server to (start|shut down)\.+'),
     r'waiting for server to \1...'),
]


def norm(line):
    line = line.rstrip()
    for rx, rep in VOLATILE:
        line = rx.sub(rep, line)
    return line


def line_is(e, g):
    """Does document line E (normalised) stand for output line G
    (normalised)?  E ending in " ..." is a prefix of G."""
    if e.endswith(' ...') and e.strip() != '...':
        return g.startswith(e[:-len(' ...')])
    return e == g


def blocks(lines):
    """Yield (mark, start, end): fenced blocks with a prompt line, where
    lines[start] is the first line inside the fence and lines[end] the
    closing fence."""
    i = 0
    while i < len(lines):
        if lines[i].startswith('```'):
            j = i + 1
            while j < len(lines) and not lines[j].startswith('```'):
                j += 1
            body = lines[i + 1:j]
            if lines[i].strip() == '```' and body and PROMPT.match(body[0]):
                m = MARK.match(lines[i - 1].strip()) if i > 0 else None
                yield (m.group(1) if m else ''), i + 1, j
            i = j + 1
        else:
            i += 1


def commands(body):
    """Split a block into [(node, command, expected-lines, remarks)]:
    lines after "[exit N]" (e.g. "(maintenance of node2)") are the
    document's remarks, kept but not compared."""
    out = []
    for line in body:
        m = PROMPT.match(line)
        if m:
            out.append((m.group(1), m.group(2), [], []))
        elif out[-1][3] or (out[-1][2] and EXIT.match(out[-1][2][-1])):
            out[-1][3].append(line)
        else:
            out[-1][2].append(line)
    return out


def run(runner, node, cmd):
    p = subprocess.run([runner, 'exec', node, cmd], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=180)
    text = p.stdout.decode('utf-8', 'replace')
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    return lines, p.returncode


def observe(runner, node, cmd, exp):
    got, rc = run(runner, node, cmd)
    if any(EXIT.match(x) for x in exp) or not exp:
        got.append('[exit %d]' % rc)
    if not exp and rc == 0:	# the document shows no output: none is due
        got = [x for x in got if not EXIT.match(x)]
    return got


def match_events(exp, got):
    """Events of several nodes interleave: their order among events of
    the same moment varies.  Every line the document shows must be in
    GOT; without "..." in the document, nothing else may be."""
    def cols(x):	# its columns are as wide as the widest value listed
        return re.sub(r'  +', '  ', norm(x))
    e = sorted(cols(x) for x in exp if x.strip() != '...')
    g = [cols(x) for x in got]
    if len(e) == len(exp) and len(e) != len(g):
        return False
    # Exact lines first, so that a " ..." prefix takes no line an exact
    # one needs.
    for x in sorted(e, key=lambda x: x.endswith(' ...')):
        k = next((k for k, y in enumerate(g) if line_is(x, y)), None)
        if k is None:
            return False
        del g[k]
    return True


def match(exp, got, cmd=''):
    """Does EXP (with "..." lines) match GOT, after normalising?"""
    if EVENTS.match(cmd) and match_events(exp, got):
        return True
    e = [None if x.strip() == '...' else norm(x) for x in exp]
    g = [norm(x) for x in got]
    memo = {}

    def m(i, j):
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(e):
            r = j == len(g)
        elif e[i] is None:
            r = any(m(i + 1, k) for k in range(j, len(g) + 1))
        else:
            r = j < len(g) and line_is(e[i], g[j]) and m(i + 1, j + 1)
        memo[key] = r
        return r
    return m(0, 0)


def regenerate(exp, got):
    """GOT shown with EXP's elisions: each run of document lines between
    "..." keeps the span of GOT it matches best; lines equal after
    normalising keep the document's text (its volatile values)."""
    segs, cur, lead = [], [], False
    for x in exp:
        if x.strip() == '...':
            if not segs and not cur:
                lead = True
            segs.append(cur)
            cur = []
        else:
            cur.append(x)
    segs.append(cur)
    trail = exp and exp[-1].strip() == '...'
    segs = [s for s in segs if s]
    if len(segs) == 0:
        return list(exp)
    gn = [norm(x) for x in got]
    # An output line a document line ending in " ..." stands for
    # compares as that document line (and keeps its text).
    cut = [norm(x) for x in exp if norm(x).endswith(' ...')]
    for j, y in enumerate(gn):
        for x in cut:
            if line_is(x, y):
                gn[j] = x
                break
    out, pos = [], 0
    if lead:
        out.append('...')
    for k, seg in enumerate(segs):
        sn = [norm(x) for x in seg]
        sm = difflib.SequenceMatcher(None, sn, gn[pos:], autojunk=False)
        hits = [(a, pos + b, n) for a, b, n in sm.get_matching_blocks() if n]
        first_seg = k == 0 and not lead
        last_seg = k == len(segs) - 1 and not trail
        lo = pos if first_seg or not hits else hits[0][1]
        hi = len(got) if last_seg or not hits else hits[-1][1] + hits[-1][2]
        if not hits and not first_seg and not last_seg:
            out.extend(seg)	# nothing of it left: keep it, say so by diff
            if k < len(segs) - 1:
                out.append('...')
            continue
        same = {}
        for a, b, n in hits:
            for d in range(n):
                same[b + d] = seg[a + d]
        for j in range(lo, hi):
            out.append(same.get(j, got[j]))
        pos = hi
        if k < len(segs) - 1:
            out.append('...')
    if trail:
        out.append('...')
    return out


def main(argv):
    update = False
    if argv and argv[0] == '--update':
        update = True
        argv = argv[1:]
    doc, runner = argv
    with open(doc) as f:
        lines = f.read().split('\n')
    n, stale, replace = 0, [], []
    for mark, start, end in blocks(lines):
        n += 1
        where = '%s:%d' % (doc, start)
        if mark.startswith('not-lab') or mark.startswith('not-yet-checked'):
            print('ok - %s # SKIP %s' % (where, mark))
            continue
        if mark.startswith('before='):
            h = subprocess.run([runner, 'hook', mark[len('before='):]],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if h.returncode != 0:
                sys.stdout.write(''.join('# ' + x + '\n' for x in
                                 h.stdout.decode().splitlines()))
        body = lines[start:end]
        new, good = [], True
        for node, cmd, exp, remarks in commands(body):
            deadline = time.monotonic() + SETTLE
            while True:
                got = observe(runner, node, cmd, exp)
                # What only looks (status, events, validate) may show a
                # state the cluster is still reaching (a failover, a
                # monitor interval): ask again until it matches or the
                # deadline passes.
                if match(exp, got, cmd) or not LOOKS.match(cmd) or \
                        time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            if not match(exp, got, cmd):
                good = False
                reg = regenerate(exp, got)
                diff = difflib.unified_diff(exp, reg, 'document', 'lab run',
                                            lineterm='', n=2)
                sys.stdout.write('# %s# %s\n' % (node, cmd))
                sys.stdout.write(''.join('#   ' + x + '\n' for x in diff))
                new.append('%s# %s' % (node, cmd))
                new.extend(reg)
            else:
                new.append('%s# %s' % (node, cmd))
                new.extend(exp)
            new.extend(remarks)
        if good:
            print('ok - %s: transcript matches the lab' % where)
        else:
            stale.append(start)
            print('not ok - %s: transcript differs from the lab%s' %
                  (where, ' (rewritten)' if update else ''))
            replace.append((start, end, new))
    if update and replace:
        for start, end, new in reversed(replace):
            lines[start:end] = new
        with open(doc, 'w') as f:
            f.write('\n'.join(lines))
    if stale:
        print('# stale blocks (document lines): %s' %
              ' '.join(str(s) for s in stale))
    return 1 if stale and not update else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
