// Package importcheck holds the import-direction test (imports_test.go):
// the module's packages may import each other only along the edges listed
// there, so a sideways or upward import fails `make test`.
package importcheck
