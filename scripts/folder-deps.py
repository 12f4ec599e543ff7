#!/usr/bin/env python3
"""
The folder dependency graph of src/Infrastructure, and its loops: folder A depends on B when a file in A names a type
declared in B (a heuristic on the sources: a name declared in two folders, and a method call spelled like a type, are
ignored; DependencyInjection.cs is the composition root and is left out). docs/architecture.md draws the result.

    scripts/folder-deps.py [src/Infrastructure] [-v]      (-v: which file and name make each two-way pair)
"""
import re, os, sys, itertools
root = next((a for a in sys.argv[1:] if not a.startswith('-')), 'src/Infrastructure')
files = {}
for d, _, fs in os.walk(root):
    if '/bin' in d or '/obj' in d or 'Persistence/Migrations' in d: continue
    for f in fs:
        if f.endswith('.cs'):
            p = os.path.join(d, f); rel = os.path.relpath(p, root)
            folder = rel.split('/')[0] if '/' in rel else '(root)'
            if folder == 'Hypervisors' and rel.count('/') > 1: folder = 'Hypervisors'
            if f == 'DependencyInjection.cs' and folder == '(root)': continue   # the composition root
            if f == 'IaasOptions.cs': folder = '(options)'
            files[p] = (folder, re.sub(r'//.*', '', open(p).read()))
types = {}
for p, (folder, text) in files.items():
    for m in re.finditer(r'\b(?:class|record|interface|enum|struct)\s+([A-Z]\w+)', text):
        types.setdefault(m.group(1), set()).add(folder)
edges = {}; why = {}
for p, (folder, text) in files.items():
    words = set(re.findall(r'(?<![.\w])[A-Z]\w*\b', text)) | set(re.findall(r'\.([A-Z]\w*)\b(?!\s*\()', text))
    for w in words:
        for f2 in types.get(w, ()):
            if f2 != folder and len(types[w]) == 1:
                edges.setdefault(folder, set()).add(f2); why.setdefault((folder, f2), set()).add(f"{os.path.basename(p)}:{w}")
folders = sorted({f for f, _ in files.values()})
# strongly connected components (Tarjan)
index, low, stack, on, sccs, i = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index: strong(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v: break
        sccs.append(c)
for v in folders:
    if v not in index: strong(v)
pairs = [(a, b) for a in folders for b in edges.get(a, ()) if a < b and a in edges.get(b, ())]
print(f"{len(files)} files in {len(folders)} folders")
for f in folders: print(f"  {f:12} -> {', '.join(sorted(edges.get(f, ())))}")
print("two-way pairs:", len(pairs), pairs)
if '-v' in sys.argv:
    for a, b in pairs: print(f"  {a}->{b}: {sorted(why[(a,b)])}\n  {b}->{a}: {sorted(why[(b,a)])}")
print("cycles (strongly connected groups > 1):", [sorted(c) for c in sccs if len(c) > 1])
