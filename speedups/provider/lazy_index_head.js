"use strict";
// Lazy index written by payledger-infra speedups/provider/repack.py: a submodule is
// required when first accessed instead of all of them up front.
Object.defineProperty(exports, "__esModule", { value: true });
function lazy(name, path) {
  Object.defineProperty(exports, name, { enumerable: true, configurable: true,
    get() { return require(path); } });
}
