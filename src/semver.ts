// The semver functions astra uses, each from its own module: the package's
// index loads its range matching too (about 80 KB of the bundle a command
// such as `status` would compile for nothing).
export { default as compare } from 'semver/functions/compare.js';
export { default as gt } from 'semver/functions/gt.js';
export { default as lt } from 'semver/functions/lt.js';
export { default as lte } from 'semver/functions/lte.js';
export { default as valid } from 'semver/functions/valid.js';
