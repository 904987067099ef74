package conformance

import "fmt"

// The levels of a row.
const (
	// Contract rows check what the accounts error contract and RFC 6749 say.
	Contract = "contract"
	// Strict rows check authredirect's hardening policy; see Config.Strict.
	Strict = "strict"
)

// The statuses of a row.
const (
	// Pass: the service answered as the row expects.
	Pass = "PASS"
	// Fail: it did not; Expected and Received say how.
	Fail = "FAIL"
	// Skip: the row could not run; SkipReason says why.
	Skip = "SKIP"
)

// Row is one check: a statement of the contract on one endpoint.
type Row struct {
	// Name names the endpoint and the contract's reason, such as
	// "authorize: client id not found". A contract row and its strict row
	// share a name.
	Name string `json:"name"`
	// Level is Contract or Strict.
	Level string `json:"level"`
	// Status is Pass, Fail or Skip.
	Status string `json:"status"`
	// Expected and Received say, one line each, what the row wanted and
	// what came back (for a failure, what was wrong with it).
	Expected string `json:"expected,omitempty"`
	Received string `json:"received,omitempty"`
	// Wire is the status and the contract's parameters that came back, in
	// the contract's order, such as "303 oauth_exception=unauthorized_client&exception_details=client_id_not_found"
	// or, for JSON, "400 error=unauthorized_client&exception_details=client_id_not_found";
	// entity_id and carried parameters are left out. The prompt=none row
	// answers at the client's redirect_uri: its Wire is the status and
	// OAuth's error, such as "303 error=login_required" (state left out).
	// Two services that answer a row alike have the same Wire. Contract
	// rows only.
	Wire string `json:"wire,omitempty"`
	// SkipReason says why a row was skipped.
	SkipReason string `json:"skip_reason,omitempty"`
}

// Report is the outcome of a run: its rows in the order they ran.
type Report struct {
	Rows []Row `json:"rows"`
	// Requests is how many requests the run sent.
	Requests int `json:"requests"`
}

// Count returns how many rows passed, failed and were skipped.
func (r *Report) Count() (passed, failed, skipped int) {
	for _, row := range r.Rows {
		switch row.Status {
		case Pass:
			passed++
		case Fail:
			failed++
		default:
			skipped++
		}
	}
	return passed, failed, skipped
}

// Summary is "N passed, N failed, N skipped".
func (r *Report) Summary() string {
	p, f, s := r.Count()
	return fmt.Sprintf("%d passed, %d failed, %d skipped", p, f, s)
}
