package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// Problem is an RFC 9457 problem document (application/problem+json).
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Field names the offending request field, when there is one
	// ("items[0].quantity", "trigger", "body").
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// RequestError is a client error found by the service itself (decoding,
// path and query parameters): status 400, 413 or 422 and the field.
type RequestError struct {
	Status int
	Field  string
	Reason string
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func badRequest(field, format string, args ...any) error {
	return &RequestError{Status: http.StatusBadRequest, Field: field, Reason: fmt.Sprintf(format, args...)}
}

var problemTitles = map[int]string{
	http.StatusBadRequest:            "请求格式错误 / bad request",
	http.StatusUnauthorized:          "未认证 / unauthorized",
	http.StatusForbidden:             "无权操作 / forbidden",
	http.StatusNotFound:              "未找到 / not found",
	http.StatusMethodNotAllowed:      "方法不允许 / method not allowed",
	http.StatusConflict:              "状态冲突 / conflict",
	http.StatusRequestEntityTooLarge: "请求体过大 / request body too large",
	http.StatusUnsupportedMediaType:  "不支持的媒体类型 / unsupported media type",
	http.StatusUnprocessableEntity:   "请求内容无效 / invalid request",
	http.StatusInternalServerError:   "内部错误 / internal error",
	http.StatusServiceUnavailable:    "服务不可用 / service unavailable",
}

// classify maps an error of the core to an HTTP status and the field it
// names (if any).
func classify(err error) (status int, field string) {
	var re *RequestError
	var mbe *http.MaxBytesError
	var wfe *workflow.FieldError
	var bfe *billing.FieldError
	var brow *billing.RowError
	var ie *govcloud.ItemError
	var re2 *assessment.RunError
	switch {
	case errors.As(err, &re):
		return re.Status, re.Field
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "body"
	case errors.Is(err, workflow.ErrForbidden), errors.Is(err, billing.ErrForbidden), errors.Is(err, assessment.ErrForbidden):
		return http.StatusForbidden, ""
	case errors.Is(err, workflow.ErrNotFound), errors.Is(err, billing.ErrNotFound), errors.Is(err, assessment.ErrNotFound),
		errors.Is(err, quota.ErrUnknownPool):
		return http.StatusNotFound, ""
	case errors.As(err, &wfe):
		return http.StatusUnprocessableEntity, wfe.Field
	case errors.As(err, &bfe):
		return http.StatusUnprocessableEntity, bfe.Field
	case errors.As(err, &brow):
		return http.StatusUnprocessableEntity, brow.Field
	case errors.As(err, &ie):
		return http.StatusUnprocessableEntity, fmt.Sprintf("items[%d]", ie.Index)
	case errors.As(err, &re2):
		return http.StatusUnprocessableEntity, re2.Field
	case errors.Is(err, workflow.ErrInvalidInput), errors.Is(err, workflow.ErrMissingMaterial),
		errors.Is(err, billing.ErrInvalid), errors.Is(err, billing.ErrUnknownItem), errors.Is(err, billing.ErrNegative),
		errors.Is(err, billing.ErrNoVendor), errors.Is(err, billing.ErrOverlap), errors.Is(err, billing.ErrReasonRequired),
		errors.Is(err, billing.ErrOverflow), errors.Is(err, assessment.ErrInvalidPeriod), errors.Is(err, assessment.ErrInvalidRun),
		errors.Is(err, quota.ErrUnknownDimension), errors.Is(err, quota.ErrNegative), errors.Is(err, quota.ErrOverflow):
		return http.StatusUnprocessableEntity, ""
	case errors.Is(err, workflow.ErrConflict), errors.Is(err, workflow.ErrInvalidTrigger), errors.Is(err, billing.ErrConflict),
		errors.Is(err, billing.ErrTransition), errors.Is(err, billing.ErrExists), errors.Is(err, billing.ErrTooEarly),
		errors.Is(err, billing.ErrNoBudget), errors.Is(err, billing.ErrBudgetExceeded), errors.Is(err, billing.ErrNoPrice),
		errors.Is(err, assessment.ErrConflict), errors.Is(err, quota.ErrQuotaExceeded), errors.Is(err, govcloud.ErrNoDepartmentPool),
		errors.Is(err, quota.ErrState), errors.Is(err, quota.ErrNoReservation):
		return http.StatusConflict, ""
	}
	return http.StatusInternalServerError, ""
}

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, p Problem) {
	if p.Title == "" {
		p.Title = problemTitles[p.Status]
		if p.Title == "" {
			p.Title = http.StatusText(p.Status)
		}
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// DecodeJSON decodes exactly one JSON value from r into dst, refusing
// unknown fields, trailing data and an empty body. Errors are
// *RequestError (400, or 413 for a body over the limit) naming the field.
func DecodeJSON(r io.Reader, dst any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &RequestError{Status: http.StatusRequestEntityTooLarge, Field: "body", Reason: fmt.Sprintf("larger than %d bytes", mbe.Limit)}
		}
		return badRequest("body", "data after the JSON value")
	}
	return nil
}

const emptyBody = "empty body: a JSON object is required"

func decodeError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &RequestError{Status: http.StatusRequestEntityTooLarge, Field: "body", Reason: fmt.Sprintf("larger than %d bytes", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return &RequestError{Status: http.StatusBadRequest, Field: "body", Reason: emptyBody}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("body", "malformed JSON: unexpected end of input")
	case errors.As(err, &se):
		return badRequest("body", "malformed JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return badRequest(field, "want a JSON %s, got %s", te.Type.String(), te.Value)
	}
	// encoding/json reports an unknown field as `json: unknown field "x"`.
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		name := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		field := name
		if field == "" {
			field = "body"
		}
		return badRequest(field, "unknown field %q", name)
	}
	return badRequest("body", "malformed JSON: %v", err)
}
