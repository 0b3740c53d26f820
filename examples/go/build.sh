#!/usr/bin/env bash
# Builds examples/go/flexnet-client offline, in GOPATH mode against the
# Go sources Debian installs under /usr/share/gocode (golang-go,
# golang-google-grpc-dev, golang-google-protobuf-dev and
# golang-github-golang-protobuf-1-5-dev: grpc-go 1.33 decodes through the
# v1 API, whose 1.3 version cannot read APIv2 messages; stubs from
# protoc-gen-go and protoc-gen-go-grpc). No module proxy is involved.
#   bash examples/go/build.sh [OUT]   (default: examples/go/flexnet-client)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$here/flexnet-client}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pkg="$work/src/flexnet/v1"
mkdir -p "$pkg" "$work/src/flexnet-client"
# The import path comes from M options: flexnet.proto stays free of
# language options.
M="Mflexnet/v1/flexnet.proto=flexnet/v1;flexnetv1"
protoc -I"$root/proto" --go_out="$pkg" --go_opt=paths=source_relative \
    --go_opt="$M" --go-grpc_out="$pkg" --go-grpc_opt=paths=source_relative \
    --go-grpc_opt="$M" flexnet/v1/flexnet.proto
mv "$pkg"/flexnet/v1/*.go "$pkg"/
rmdir "$pkg/flexnet/v1" "$pkg/flexnet"
cp "$here/main.go" "$work/src/flexnet-client/"
cd "$work/src/flexnet-client"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="${GOCACHE:-$work/cache}" \
    GOFLAGS= GOPROXY=off go build -o "$out" .
echo "$out"
