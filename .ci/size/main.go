// Command size prints, per package directory given, the lines of its
// non-test Go files and its exported names: top-level functions, types,
// variables and constants, and the exported methods of exported types
// (struct fields are not counted). The core's figures are the sum of its packages. Run from
// the repository root:
//
//	(cd .ci/size && GOWORK=off go run . ../../codes ../../render ../../middleware ../../loopguard ../../authredirecttest)
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: size DIR...")
		os.Exit(2)
	}
	var lines, names int
	fmt.Printf("%-40s %7s %7s\n", "package", "lines", "names")
	for _, dir := range os.Args[1:] {
		l, n, err := count(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "size:", err)
			os.Exit(1)
		}
		fmt.Printf("%-40s %7d %7d\n", filepath.Base(dir), l, n)
		lines, names = lines+l, names+n
	}
	fmt.Printf("%-40s %7d %7d\n", "total", lines, names)
}

// count returns the non-test lines and the exported names of the package
// in dir (its subdirectories are packages of their own).
func count(dir string) (lines, names int, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return 0, 0, err
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return 0, 0, err
		}
		lines += bytes.Count(src, []byte("\n"))
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			return 0, 0, err
		}
		names += exported(f)
	}
	return lines, names, nil
}

// exported counts the exported names a file declares.
func exported(f *ast.File) int {
	n := 0
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil || receiverExported(d.Recv) {
				n++
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					n++
				case *ast.ValueSpec:
					for _, id := range s.Names {
						if id.IsExported() {
							n++
						}
					}
				}
			}
		}
	}
	return n
}

// receiverExported reports whether a method's receiver type is exported.
func receiverExported(recv *ast.FieldList) bool {
	t := recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
