package conformance_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/authredirect/authredirect/conformance"
	"github.com/authredirect/authredirect/examples/accounts/app"
)

// Run checks a service in a test of its own: here the example accounts
// server, served by httptest. Any URL does as well.
func ExampleRun() {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h, err := app.New(app.Config{Base: base, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	srv.Config.Handler = h
	srv.Start()
	defer srv.Close()

	rep, err := conformance.Run(context.Background(), conformance.Config{
		BaseURL:  base,
		ClientID: "demo", ClientSecret: "demo-secret", RedirectURI: base + "/demo/callback", Scope: "profile",
		User: "jane@example.com", Password: "jane-password",
		Strict: true,
	})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Rows {
		if r.Status == conformance.Fail {
			fmt.Printf("FAIL %s %s\n  expected: %s\n  received: %s\n", r.Level, r.Name, r.Expected, r.Received)
		}
	}
	fmt.Println(rep.Summary())
	// Output: 50 passed, 0 failed, 2 skipped
}
