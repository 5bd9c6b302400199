#!/usr/bin/env python3
"""Generates api-gateway/src/main/resources/io/kuberaft/apiserver/http/proto-json-hints.tsv.

The Kubernetes generated.proto files say nothing about how the Go types marshal to JSON, yet a
protobuf body sent by client-go (kubectl) carries every non-pointer field, zero or not. To rebuild the
JSON a client would have sent, ProtobufBodies needs, per message field, what the Go struct tag says:

  omitempty non-pointer field with `omitempty`: a zero scalar ("" / 0 / false / empty bytes) is left out
  omitzero  field with Go's `omitzero`: a zero value, an empty struct too, is left out
  inline    embedded struct with no JSON name (`json:""` / `json:",inline"`): its fields go into the parent
  json=X    the JSON name differs from the proto name (apiextensions' $ref, x-kubernetes-*)
  skip      `json:"-"`: not part of the JSON
and per message:
  array     a named Go slice (`type ExtraValue []string`), a message {repeated items}: JSON is the array

Usage: gen_proto_json_hints.py CHECKOUT... > proto-json-hints.tsv
where each CHECKOUT is a git checkout (or plain copy) of k8s.io/api, k8s.io/apimachinery or
k8s.io/apiextensions-apiserver. Every directory holding a generated.proto is read: its proto package
comes from that file, its structs from the .go files beside it.
"""
import os
import re
import sys

STRUCT_RE = re.compile(r'^type\s+(\w+)\s+struct\s*\{\s*$')
FIELD_RE = re.compile(r'^\s*(?:(\w+)\s+)?([\*\[\]\w\.]+(?:\[[\w\.]+\][\*\w\.]+)?)\s+`([^`]*)`')
SLICE_RE = re.compile(r'^type\s+(\w+)\s+\[\][\*\w\.]+\s*$')
EMBED_RE = re.compile(r'^\s*([\*\w\.]+)\s+`([^`]*)`')


def tag(tags, key):
    m = re.search(key + r':"([^"]*)"', tags)
    return m.group(1) if m else None


def parse_dir(d, package, out):
    for fn in sorted(os.listdir(d)):
        if not fn.endswith('.go') or fn.endswith('_test.go'):
            continue
        struct = None
        depth = 0
        for line in open(os.path.join(d, fn), encoding='utf-8'):
            if struct is None:
                m = SLICE_RE.match(line)
                if m:
                    out['%s.%s' % (package, m.group(1))] = ['array']
                m = STRUCT_RE.match(line)
                if m:
                    struct, depth = m.group(1), 1
                continue
            stripped = line.strip()
            if stripped.startswith('//'):
                continue
            depth += stripped.count('{') - stripped.count('}')
            if depth <= 0:
                struct = None
                continue
            if depth != 1 or 'protobuf:"' not in line:
                continue
            em = EMBED_RE.match(line)
            fm = FIELD_RE.match(line)
            if em and (not fm or fm.group(1) is None):
                name, gotype, tags = None, em.group(1), em.group(2)
            elif fm:
                name, gotype, tags = fm.group(1), fm.group(2), fm.group(3)
            else:
                continue
            pb = tag(tags, 'protobuf')
            if not pb or pb == '-':
                continue
            pm = re.search(r'name=(\w+)', pb)
            # Without name= go-to-protobuf names the field after the Go field (or embedded type), lowerCamel.
            go_name = name or gotype.lstrip('*').split('.')[-1]
            proto_name = pm.group(1) if pm else go_name[0].lower() + go_name[1:]
            js = tag(tags, 'json')
            json_name = None if js is None else js.split(',')[0]
            opts = [] if js is None else js.split(',')[1:]
            flags = []
            if js == '-':
                flags.append('skip')
            elif name is None and not json_name:
                flags.append('inline')
            else:
                if json_name and json_name != proto_name:
                    flags.append('json=' + json_name)
                if 'omitempty' in opts and not gotype.startswith('*'):
                    flags.append('omitempty')
                if 'omitzero' in opts:
                    flags.append('omitzero')
            if flags:
                out['%s.%s.%s' % (package, struct, proto_name)] = flags


def main(roots):
    out = {}
    for root in roots:
        for d, _, files in os.walk(root):
            if 'generated.proto' not in files or '/.git' in d:
                continue
            with open(os.path.join(d, 'generated.proto'), encoding='utf-8') as f:
                m = re.search(r'^package\s+([\w\.]+);', f.read(), re.M)
            if m:
                parse_dir(d, m.group(1), out)
    print('# message.field<TAB>flags (see api-gateway/tools/gen_proto_json_hints.py); generated, do not edit')
    for k in sorted(out):
        print(k + '\t' + ','.join(out[k]))


if __name__ == '__main__':
    main(sys.argv[1:])
