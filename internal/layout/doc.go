// Package layout holds no code, only the test that keeps the module's
// layout as the README states it: imports flow one way (schemas → intake →
// store, render → web → cmd) and each third-party library has one home
// package.
package layout
