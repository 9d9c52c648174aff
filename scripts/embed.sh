#!/bin/sh
# Writes to stdout a C file defining NAME[] (the bytes of FILE, then a NUL)
# and NAME_len (the bytes without the NUL): how the page at / gets into the
# binary (no CDN, nothing read from disk at run time).
set -eu
name=$1
file=$2
echo "/* generated from $file by scripts/embed.sh: do not edit */"
echo "const unsigned char ${name}[] = {"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo "0x00 };"
echo "const unsigned int ${name}_len = $(wc -c < "$file");"
