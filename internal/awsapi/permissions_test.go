package awsapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const sdkServicePrefix = "github.com/aws/aws-sdk-go-v2/service/"

// calledOperations parses every non-test Go file of the module (but the
// emulator's, which serves operations rather than calls them) and returns
// the operations whose SDK input type it names ("sagemaker.ListTagsInput"
// in a call, a paginator or a waiter), each with the first place it does.
func calledOperations(t *testing.T) map[string]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch {
			// The emulator serves operations; packages named *test
			// (emulatortest, storetest, ...) are test harnesses.
			case rel == filepath.Join("internal", "emulator"), d.Name() == "testdata", strings.HasSuffix(d.Name(), "test"),
				strings.HasPrefix(d.Name(), "."), d.Name() == "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		svcOf := map[string]string{} // local import name -> service
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			pkg, ok := strings.CutPrefix(p, sdkServicePrefix)
			if !ok || strings.Contains(pkg, "/") {
				continue
			}
			svc, ok := ServiceOfPackage[pkg]
			if !ok {
				t.Errorf("%s imports %s: add the package to ServiceOfPackage and declare its operations", rel, p)
				continue
			}
			name := pkg
			if imp.Name != nil {
				name = imp.Name.Name
			}
			svcOf[name] = svc
		}
		agentAPI := filepath.ToSlash(filepath.Dir(rel)) == "internal/agent/sagemakerapi"
		ast.Inspect(f, func(n ast.Node) bool {
			// The on-instance agent sends its SageMaker calls as JSON 1.1
			// by name (c.call(ctx, "StopNotebookInstance", ...)) so as not
			// to link the SDK's sagemaker package.
			if call, ok := n.(*ast.CallExpr); ok && agentAPI && len(call.Args) >= 2 {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "call" {
					if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						name, _ := strconv.Unquote(lit.Value)
						if _, seen := found["sagemaker:"+name]; !seen {
							found["sagemaker:"+name] = fset.Position(lit.Pos()).String()
						}
					}
				}
			}
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			svc, ok := svcOf[id.Name]
			if !ok {
				return true
			}
			opName, ok := strings.CutSuffix(sel.Sel.Name, "Input")
			if !ok || opName == "" {
				return true
			}
			key := svc + ":" + opName
			if _, seen := found[key]; !seen {
				found[key] = fset.Position(sel.Pos()).String()
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestEveryCallDeclared: every operation the code can call is declared in
// Operations, and every declaration of a service the code imports is
// called somewhere (no permission kept for a call that is gone).
func TestEveryCallDeclared(t *testing.T) {
	called := calledOperations(t)
	if len(called) < 40 {
		t.Fatalf("found %d operations in the code: the scan is broken", len(called))
	}
	imported := map[string]bool{}
	for key, where := range called {
		svc, name, _ := strings.Cut(key, ":")
		imported[svc] = true
		if _, ok := Declared(svc, name); !ok {
			t.Errorf("%s calls %s, which awsapi.Operations does not declare", where, key)
		}
	}
	for _, o := range Operations {
		if imported[o.Service] {
			if _, ok := called[o.Key()]; !ok {
				t.Errorf("%s is declared but no code calls it: remove the declaration", o.Key())
			}
		}
	}
}

// TestAPIInterfacesDeclared: each method of api.go's interfaces is a
// declared operation of its service.
func TestAPIInterfacesDeclared(t *testing.T) {
	ifaces := []reflect.Type{
		reflect.TypeFor[NotebookReader](), reflect.TypeFor[NotebookWriter](), reflect.TypeFor[EndpointReader](),
		reflect.TypeFor[EndpointWriter](), reflect.TypeFor[EndpointSearcher](), reflect.TypeFor[InferenceComponentReader](),
		reflect.TypeFor[EndpointScaler](), reflect.TypeFor[ScalingReader](), reflect.TypeFor[ScalingWriter](),
		reflect.TypeFor[Tagger](), reflect.TypeFor[Metrics](), reflect.TypeFor[MetricWriter](), reflect.TypeFor[Notifier](),
		reflect.TypeFor[Identity](), reflect.TypeFor[InventoryReader](), reflect.TypeFor[TagLister](),
		reflect.TypeFor[OrganizationReader](), reflect.TypeFor[PriceListReader](), reflect.TypeFor[JobReader](),
		reflect.TypeFor[JobWriter](), reflect.TypeFor[StudioReader](), reflect.TypeFor[StudioWriter](), reflect.TypeFor[LifecycleAPI](),
	}
	for _, it := range ifaces {
		for m := range it.Methods() {
			in := m.Type.In(1).Elem() // *sagemaker.XInput
			pkg := in.PkgPath()[strings.LastIndex(in.PkgPath(), "/")+1:]
			svc := ServiceOfPackage[pkg]
			if _, ok := Declared(svc, m.Name); !ok {
				t.Errorf("%s.%s (%s) is not declared", it.Name(), m.Name, svc)
			}
		}
	}
}

func TestDeclarationsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Operations {
		if seen[o.Key()] {
			t.Errorf("%s declared twice", o.Key())
		}
		seen[o.Key()] = true
		if o.Access < Read || o.Access > Setup {
			t.Errorf("%s: access %v", o.Key(), o.Access)
		}
		if len(o.Actions) == 0 {
			t.Errorf("%s: no IAM action", o.Key())
		}
		if len(o.Actions) > 1 && o.Why == "" {
			t.Errorf("%s needs %v besides its own action: say why", o.Key(), o.Actions[1:])
		}
		for _, a := range o.Actions {
			if strings.Contains(a, "*") || strings.Count(a, ":") != 1 {
				t.Errorf("%s: action %q is not one IAM action", o.Key(), a)
			}
		}
	}
	// The non-obvious ones stay declared.
	for key, want := range map[string]string{
		"sagemaker:CreateEndpoint":                       "sagemaker:AddTags",
		"application-autoscaling:RegisterScalableTarget": "iam:CreateServiceLinkedRole",
		"cloudwatch:GetMetricData":                       "cloudwatch:GetMetricData",
		"tagging:GetResources":                           "tag:GetResources",
		"lambda:Invoke":                                  "lambda:InvokeFunction",
	} {
		svc, name, _ := strings.Cut(key, ":")
		o, ok := Declared(svc, name)
		if !ok || !slices.Contains(o.Actions, want) {
			t.Errorf("%s: want action %s, have %v", key, want, o.Actions)
		}
	}
}

func TestFlavours(t *testing.T) {
	read, _ := FlavourNamed("read-only")
	act, _ := FlavourNamed("act")
	for _, a := range read.Actions() {
		if !slices.Contains(act.Actions(), a) {
			t.Errorf("act lacks read-only's %s", a)
		}
	}
	if slices.Contains(read.Actions(), "sagemaker:DeleteEndpoint") || !slices.Contains(act.ActOnly(), "sagemaker:DeleteEndpoint") {
		t.Error("DeleteEndpoint must be act-only")
	}
	if _, err := FlavourNamed("admin"); err == nil || !strings.Contains(err.Error(), "read-only, act, hub") {
		t.Errorf("FlavourNamed(admin) = %v", err)
	}
}
