package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// How long a comparison takes is not something a test can assert without
// timing, so this one reads the package's source instead: no password or
// secret is compared with == or !=, and subtle.ConstantTimeCompare is
// called only by equalSecret, on fixed-length hashes (called directly on
// the values, it returns at once when the lengths differ).
func TestSecrets_ComparedInConstantTime(t *testing.T) {
	names, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var found []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			fn, _ := decl.(*ast.FuncDecl)
			ast.Inspect(decl, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BinaryExpr:
					if (n.Op == token.EQL || n.Op == token.NEQ) && (isSecretField(n.X) || isSecretField(n.Y)) {
						found = append(found, fset.Position(n.Pos()).String()+": "+n.Op.String()+" on a secret")
					}
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && x.Name == "subtle" && (fn == nil || fn.Name.Name != "equalSecret") {
						found = append(found, fset.Position(n.Pos()).String()+": subtle."+n.Sel.Name+" outside equalSecret")
					}
				}
				return true
			})
		}
	}
	assert.Empty(t, found)
}

// isSecretField reports whether e is x.password or x.secret.
func isSecretField(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && (sel.Sel.Name == "password" || sel.Sel.Name == "secret")
}

func TestEqualSecret(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		equal     bool
	}{
		{"demo-secret", "demo-secret", true},
		{"", "", true},
		{"demo-secreT", "demo-secret", false},
		{"demo-secre", "demo-secret", false},
		{"demo-secret-", "demo-secret", false},
		{"", "demo-secret", false},
		{"demo-secret", "", false},
	} {
		assert.Equal(t, tc.equal, equalSecret(tc.got, tc.want), "%q vs %q", tc.got, tc.want)
	}
}
