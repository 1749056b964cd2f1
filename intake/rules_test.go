package intake_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/intyg/intyg/intake"
)

// TestFK7804Rules checks every rule of the contract (shared/contract/README.md
// and fk7804.md): each with a case that breaks it and one that keeps it.
func TestFK7804Rules(t *testing.T) {
	eng := mustEngine(t)
	long := func(n int) string { return strings.Repeat("å", n) }
	tests := []struct {
		name    string
		changes map[string]any
		want    []string // "pointer code" of every problem, sorted; nil = valid
	}{
		// Envelope.
		{"template unknown", map[string]any{"/template": "fk9999"}, []string{"/template unknownTemplate"}},
		{"template missing", map[string]any{"/template": nil}, []string{"/template required"}},
		{"version unknown", map[string]any{"/version": "9.9"}, []string{"/version unknownVersion"}},
		{"version missing", map[string]any{"/version": nil}, []string{"/version required"}},
		{"patient id 12 digits", map[string]any{"/patient/id": "191212121212"}, nil},
		{"patient id short with dash", map[string]any{"/patient/id": "121212-1212"}, nil},
		{"patient id plus form", map[string]any{"/patient/id": "121212+1212"}, nil},
		{"patient id samordningsnummer", map[string]any{"/patient/id": "19701063-2391"}, nil},
		{"patient id checksum", map[string]any{"/patient/id": "19121212-1213"}, []string{"/patient/id checksum"}},
		{"patient id impossible date", map[string]any{"/patient/id": "19990230-1234"}, []string{"/patient/id invalidDate"}},
		{"patient id interim", map[string]any{"/patient/id": "20000101-T220"}, []string{"/patient/id interimNumber"}},
		{"patient id garbage", map[string]any{"/patient/id": "hello"}, []string{"/patient/id format"}},
		{"patient id wrong type", map[string]any{"/patient/id": 191212121212.0}, []string{"/patient/id type"}},
		{"patient name missing", map[string]any{"/patient/name": nil}, []string{"/patient/name required"}},
		{"patient name blank", map[string]any{"/patient/name": "   \t "}, []string{"/patient/name required"}},
		{"patient name 200", map[string]any{"/patient/name": long(200)}, nil},
		{"patient name 201", map[string]any{"/patient/name": long(201)}, []string{"/patient/name maxLength"}},
		{"issuer hsaId lower case", map[string]any{"/issuer/hsaId": "se2321000016-1003"}, nil},
		{"issuer hsaId malformed", map[string]any{"/issuer/hsaId": "SE23-1003"}, []string{"/issuer/hsaId format"}},
		{"unit hsaId malformed", map[string]any{"/issuer/unit/hsaId": "7P0C"}, []string{"/issuer/unit/hsaId format"}},
		// Letters outside ASCII that upper-case into an HSA-id's or a
		// code's (ſ to S, ı to I) are not theirs.
		{"issuer hsaId long s", map[string]any{"/issuer/hsaId": "\u017fE2321000016-1003"}, []string{"/issuer/hsaId format"}},
		{"unit hsaId dotless i", map[string]any{"/issuer/unit/hsaId": "SE2321000016-\u0131003"}, []string{"/issuer/unit/hsaId format"}},
		{"diagnosis code long s", map[string]any{"/answers/diagnoses/0/code": "\u017f83.2"}, []string{"/answers/diagnoses/0/code unknownCode"}},
		{"careProvider hsaId malformed", map[string]any{"/issuer/careProvider/hsaId": "x"}, []string{"/issuer/careProvider/hsaId format"}},
		{"issuer role private", map[string]any{"/issuer/role": "PRIVATE_DOCTOR"}, nil},
		{"issuer role dentist", map[string]any{"/issuer/role": "DENTIST"}, nil},
		{"issuer role nurse", map[string]any{"/issuer/role": "NURSE"}, []string{"/issuer/role enum"}},
		{"issuer name blank", map[string]any{"/issuer/name": " "}, []string{"/issuer/name required"}},
		{"unit name missing", map[string]any{"/issuer/unit/name": nil}, []string{"/issuer/unit/name required"}},
		{"unit address missing", map[string]any{"/issuer/unit/address": nil}, []string{"/issuer/unit/address required"}},
		{"unit city blank", map[string]any{"/issuer/unit/city": ""}, []string{"/issuer/unit/city required"}},
		{"unit phone missing", map[string]any{"/issuer/unit/phone": nil}, []string{"/issuer/unit/phone required"}},
		{"postal code without space", map[string]any{"/issuer/unit/postalCode": "11459"}, nil},
		{"postal code malformed", map[string]any{"/issuer/unit/postalCode": "1145"}, []string{"/issuer/unit/postalCode format"}},
		{"optional issuer fields absent", map[string]any{"/issuer/prescriberCode": nil, "/issuer/specialities": nil, "/issuer/unit/workplaceCode": nil, "/issuer/careProvider": nil}, nil},
		// A signing time before 1900 is refused and decides no "today": no
		// date is then after it, no patient born after it.
		{"signedAt before 1900", map[string]any{"/signedAt": "1899-12-31T10:00:00+01:00"}, []string{"/signedAt invalidDateTime"}},
		{"signedAt in the future", map[string]any{"/signedAt": "2099-01-01T10:00:00+01:00"}, []string{"/signedAt dateInFuture"}},
		{"signedAt within clock skew", map[string]any{"/signedAt": "2026-11-23T12:03:00Z", "/answers/basis/0/date": "2026-11-23"}, nil},
		{"signedAt not RFC 3339", map[string]any{"/signedAt": "2026-11-20 10:15"}, []string{"/signedAt invalidDateTime"}},
		{"signedAt lower-case t and z", map[string]any{"/signedAt": "2026-11-20t09:15:00z"}, nil},
		{"signedAt with negative offset", map[string]any{"/signedAt": "2026-11-19T23:30:00-05:00"}, nil},
		// A leap second (RFC 3339's 60) is accepted in the last minute of a
		// day in UTC, whatever the offset, as the JSON Schema test suite has it.
		{"signedAt leap second", map[string]any{"/signedAt": "2026-11-20T23:59:60Z"}, nil},
		{"signedAt leap second with an offset", map[string]any{"/signedAt": "2026-11-20T15:59:60.5-08:00"}, nil},
		{"signedAt leap second past midnight here", map[string]any{"/signedAt": "2026-11-21T00:59:60+01:00"}, nil},
		{"signedAt leap second in another minute", map[string]any{"/signedAt": "2026-11-20T23:58:60Z"}, []string{"/signedAt invalidDateTime"}},
		{"signedAt leap second in another hour", map[string]any{"/signedAt": "2026-11-20T22:59:60+01:00"}, []string{"/signedAt invalidDateTime"}},
		{"signedAt second 61", map[string]any{"/signedAt": "2026-11-20T23:59:61Z"}, []string{"/signedAt invalidDateTime"}},
		// Go's parser takes an offset of 24 hours; the format does not,
		// so it decides no date rule's "today" (the basis is on the day).
		{"signedAt offset past 23:59", map[string]any{"/signedAt": "2026-11-20T10:15:00+24:00"}, []string{"/signedAt invalidDateTime"}},
		{"signedAt offset minutes past 59", map[string]any{"/signedAt": "2026-11-20T10:15:00+01:60"}, []string{"/signedAt invalidDateTime"}},
		{"NUL in text", map[string]any{"/answers/otherInformation": "Pa\u0000tienten"}, []string{"/answers/otherInformation invalidCharacter"}},
		{"escape character in a name", map[string]any{"/patient/name": "Tolvan\u001bTolvansson"}, []string{"/patient/name invalidCharacter"}},
		{"line breaks and tabs in text", map[string]any{"/answers/otherInformation": "Rad ett\nRad\ttvå\r\nRad tre"}, nil},
		{"unknown top-level field", map[string]any{"/extra": 1}, []string{"/extra notAllowed"}},
		{"unknown answers field", map[string]any{"/answers/mood": "ok"}, []string{"/answers/mood notAllowed"}},
		{"answers missing", map[string]any{"/answers": nil}, []string{"/answers required"}},

		// 1 basis and 1.3.
		{"basis missing", map[string]any{"/answers/basis": nil}, []string{"/answers/basis required"}},
		{"basis empty", map[string]any{"/answers/basis": raw(t, `[]`)}, []string{"/answers/basis minItems"}},
		{"basis type unknown", map[string]any{"/answers/basis/0/type": "GISSNING"}, []string{"/answers/basis/0/type enum"}},
		{"basis type twice", map[string]any{"/answers/basis/1/type": "FYSISKUNDERSOKNING"}, []string{"/answers/basis/1/type duplicate"}},
		{"basis date today", map[string]any{"/answers/basis/0/date": "2026-11-20"}, nil},
		{"basis date after signing day", map[string]any{"/answers/basis/0/date": "2026-11-21"}, []string{"/answers/basis/0/date dateInFuture"}},
		{"basis date not a date", map[string]any{"/answers/basis/0/date": "2026-02-30"}, []string{"/answers/basis/0/date invalidDate"}},
		{"basis ANNAT with description", map[string]any{"/answers/basis/1/type": "ANNAT", "/answers/basisOtherDescription": "Intyg från fysioterapeut"}, nil},
		{"basis ANNAT without description", map[string]any{"/answers/basis/1/type": "ANNAT"}, []string{"/answers/basisOtherDescription required"}},
		{"basis description without ANNAT", map[string]any{"/answers/basisOtherDescription": "x"}, []string{"/answers/basisOtherDescription notAllowed"}},
		{"basis description 51", map[string]any{"/answers/basis/1/type": "ANNAT", "/answers/basisOtherDescription": long(51)}, []string{"/answers/basisOtherDescription maxLength"}},
		{"basis 6 items", map[string]any{"/answers/basis": raw(t, `[{"type":"FYSISKUNDERSOKNING","date":"2026-11-20"},{"type":"DIGITALUNDERSOKNING","date":"2026-11-20"},{"type":"TELEFONKONTAKT","date":"2026-11-20"},{"type":"JOURNALUPPGIFTER","date":"2026-11-20"},{"type":"ANNAT","date":"2026-11-20"},{"type":"ANNAT","date":"2026-11-19"}]`), "/answers/basisOtherDescription": "x"}, []string{"/answers/basis maxItems", "/answers/basis/5/type duplicate"}},

		// 28 occupation and 29.
		{"occupation missing", map[string]any{"/answers/occupation": nil, "/answers/occupationDescription": nil}, []string{"/answers/occupation required"}},
		{"occupation unknown", map[string]any{"/answers/occupation": raw(t, `["NUVARANDE_ARBETE","PENSION"]`)}, []string{"/answers/occupation/1 enum"}},
		{"occupation twice", map[string]any{"/answers/occupation": raw(t, `["NUVARANDE_ARBETE","NUVARANDE_ARBETE"]`)}, []string{"/answers/occupation/1 duplicate"}},
		{"occupation all four", map[string]any{"/answers/occupation": raw(t, `["NUVARANDE_ARBETE","ARBETSSOKANDE","FORALDRALEDIG","STUDIER"]`)}, nil},
		{"occupation job seeker only", map[string]any{"/answers/occupation": raw(t, `["ARBETSSOKANDE"]`), "/answers/occupationDescription": nil}, nil},
		{"occupation description missing", map[string]any{"/answers/occupationDescription": nil}, []string{"/answers/occupationDescription required"}},
		{"occupation description not allowed", map[string]any{"/answers/occupation": raw(t, `["STUDIER"]`)}, []string{"/answers/occupationDescription notAllowed"}},
		{"occupation description 4001", map[string]any{"/answers/occupationDescription": long(4001)}, []string{"/answers/occupationDescription maxLength"}},

		// 6 diagnoses.
		{"diagnoses missing", map[string]any{"/answers/diagnoses": nil}, []string{"/answers/diagnoses required"}},
		{"diagnoses 3", map[string]any{"/answers/diagnoses": raw(t, `[{"code":"F43.8A","description":"a"},{"code":"F32.1","description":"b"},{"code":"M54.5","description":"c"}]`)}, nil},
		{"diagnoses 4", map[string]any{"/answers/diagnoses": raw(t, `[{"code":"F43.8A","description":"a"},{"code":"F32.1","description":"b"},{"code":"M54.5","description":"c"},{"code":"J06.9","description":"d"}]`)}, []string{"/answers/diagnoses maxItems"}},
		{"diagnosis code unknown", map[string]any{"/answers/diagnoses/0/code": "X99.9"}, []string{"/answers/diagnoses/0/code unknownCode"}},
		{"diagnosis code garbage", map[string]any{"/answers/diagnoses/0/code": "F4!"}, []string{"/answers/diagnoses/0/code unknownCode"}},
		{"diagnosis code lower case", map[string]any{"/answers/diagnoses/0/code": "f43.8a"}, nil},
		{"diagnosis three characters outside F", map[string]any{"/answers/diagnoses/0/code": "J06"}, nil},
		{"diagnosis F code too short", map[string]any{"/answers/diagnoses/0/code": "F32"}, []string{"/answers/diagnoses/0/code codeTooShort"}},
		{"diagnosis Z73 too short", map[string]any{"/answers/diagnoses/0/code": "Z73"}, []string{"/answers/diagnoses/0/code codeTooShort"}},
		{"diagnosis Z73 four characters", map[string]any{"/answers/diagnoses/0/code": "Z73.0"}, nil},
		{"diagnosis description missing", map[string]any{"/answers/diagnoses/0/description": nil}, []string{"/answers/diagnoses/0/description required"}},
		{"diagnosis description 81", map[string]any{"/answers/diagnoses/0/description": long(81)}, nil},
		{"diagnosis description 82", map[string]any{"/answers/diagnoses/0/description": long(82)}, []string{"/answers/diagnoses/0/description maxLength"}},

		// 35, 17, 19.
		{"functional impairment missing", map[string]any{"/answers/functionalImpairment": nil}, []string{"/answers/functionalImpairment required"}},
		{"functional impairment text blank", map[string]any{"/answers/functionalImpairment/text": "  "}, []string{"/answers/functionalImpairment/text required"}},
		{"functional impairment without icf", map[string]any{"/answers/functionalImpairment/icf": nil}, nil},
		{"activity limitation missing", map[string]any{"/answers/activityLimitation": nil}, []string{"/answers/activityLimitation required"}},
		{"activity limitation 4000", map[string]any{"/answers/activityLimitation/text": long(4000)}, nil},
		{"activity limitation 4001", map[string]any{"/answers/activityLimitation/text": long(4001)}, []string{"/answers/activityLimitation/text maxLength"}},
		{"treatment absent", map[string]any{"/answers/treatment": nil}, nil},
		{"treatment 4001", map[string]any{"/answers/treatment": long(4001)}, []string{"/answers/treatment maxLength"}},

		// 32 sick leave.
		{"sick leave missing", map[string]any{"/answers/sickLeave": nil, "/answers/unevenWorkingHours": nil, "/answers/unevenWorkingHoursReason": nil}, []string{"/answers/sickLeave required"}},
		{"sick leave 4 periods", map[string]any{"/answers/sickLeave": raw(t, `[{"degree":100,"from":"2026-11-20","to":"2026-11-26"},{"degree":75,"from":"2026-11-27","to":"2026-12-03"},{"degree":50,"from":"2026-12-04","to":"2026-12-10"},{"degree":25,"from":"2026-12-11","to":"2026-12-17"}]`)}, nil},
		{"sick leave 5 periods", map[string]any{"/answers/sickLeave": raw(t, `[{"degree":100,"from":"2026-11-20","to":"2026-11-26"},{"degree":75,"from":"2026-11-27","to":"2026-12-03"},{"degree":50,"from":"2026-12-04","to":"2026-12-10"},{"degree":25,"from":"2026-12-11","to":"2026-12-17"},{"degree":25,"from":"2026-12-18","to":"2026-12-24"}]`)}, []string{"/answers/sickLeave maxItems", "/answers/sickLeave/4/degree duplicate"}},
		{"degree 30", map[string]any{"/answers/sickLeave/1/degree": 30}, []string{"/answers/sickLeave/1/degree enum"}},
		{"degree as string", map[string]any{"/answers/sickLeave/1/degree": "50"}, []string{"/answers/sickLeave/1/degree enum"}},
		{"degree twice", map[string]any{"/answers/sickLeave/1/degree": 100, "/answers/unevenWorkingHours": nil, "/answers/unevenWorkingHoursReason": nil}, []string{"/answers/sickLeave/1/degree duplicate"}},
		{"to equals from", map[string]any{"/answers/sickLeave/1/to": "2026-12-04"}, nil},
		{"to before from", map[string]any{"/answers/sickLeave/1/to": "2026-12-03"}, []string{"/answers/sickLeave/1/to dateBeforeStart"}},
		{"periods share a day", map[string]any{"/answers/sickLeave/1/from": "2026-12-03"}, []string{"/answers/sickLeave/1/from overlap"}},
		{"periods overlap out of order", map[string]any{"/answers/sickLeave/0/from": "2026-12-10", "/answers/sickLeave/0/to": "2026-12-20"}, []string{"/answers/sickLeave/0/from overlap"}},
		{"periods with a gap", map[string]any{"/answers/sickLeave/1/from": "2026-12-10"}, nil},
		{"period date invalid", map[string]any{"/answers/sickLeave/0/to": "2026-11-31"}, []string{"/answers/sickLeave/0/to invalidDate"}},
		{"period from missing", map[string]any{"/answers/sickLeave/0/from": nil}, []string{"/answers/sickLeave/0/from required"}},

		// 37, 34, 33, 33.2.
		{"fmb motivation 4001", map[string]any{"/answers/fmbMotivation": long(4001)}, []string{"/answers/fmbMotivation maxLength"}},
		{"transport to work wrong type", map[string]any{"/answers/transportToWork": "ja"}, []string{"/answers/transportToWork type"}},
		{"uneven hours missing with 50", map[string]any{"/answers/unevenWorkingHours": nil, "/answers/unevenWorkingHoursReason": nil}, []string{"/answers/unevenWorkingHours required"}},
		{"uneven hours false with 50", map[string]any{"/answers/unevenWorkingHours": false, "/answers/unevenWorkingHoursReason": nil}, nil},
		{"uneven hours with only 100", map[string]any{"/answers/sickLeave": raw(t, `[{"degree":100,"from":"2026-11-20","to":"2026-12-03"}]`)}, []string{"/answers/unevenWorkingHours notAllowed"}},
		{"only 100 without uneven hours", map[string]any{"/answers/sickLeave": raw(t, `[{"degree":100,"from":"2026-11-20","to":"2026-12-03"}]`), "/answers/unevenWorkingHours": nil, "/answers/unevenWorkingHoursReason": nil}, nil},
		{"uneven hours reason missing", map[string]any{"/answers/unevenWorkingHoursReason": nil}, []string{"/answers/unevenWorkingHoursReason required"}},
		{"uneven hours reason when false", map[string]any{"/answers/unevenWorkingHours": false}, []string{"/answers/unevenWorkingHoursReason notAllowed"}},

		// 39 prognosis.
		{"prognosis missing", map[string]any{"/answers/prognosis": nil, "/answers/prognosisMonths": nil}, []string{"/answers/prognosis required"}},
		{"prognosis unknown", map[string]any{"/answers/prognosis": "KANSKE", "/answers/prognosisMonths": nil}, []string{"/answers/prognosis enum"}},
		{"prognosis months missing", map[string]any{"/answers/prognosisMonths": nil}, []string{"/answers/prognosisMonths required"}},
		{"prognosis months 99", map[string]any{"/answers/prognosisMonths": 99}, nil},
		{"prognosis months 100", map[string]any{"/answers/prognosisMonths": 100}, []string{"/answers/prognosisMonths maximum"}},
		{"prognosis months 0", map[string]any{"/answers/prognosisMonths": 0}, []string{"/answers/prognosisMonths minimum"}},
		{"prognosis months fraction", map[string]any{"/answers/prognosisMonths": 2.5}, []string{"/answers/prognosisMonths type"}},
		{"prognosis months not allowed", map[string]any{"/answers/prognosis": "STOR_SANNOLIKHET"}, []string{"/answers/prognosisMonths notAllowed"}},
		{"prognosis likely", map[string]any{"/answers/prognosis": "STOR_SANNOLIKHET", "/answers/prognosisMonths": nil}, nil},
		{"prognosis not likely", map[string]any{"/answers/prognosis": "SANNOLIKT_INTE", "/answers/prognosisMonths": nil}, nil},
		{"prognosis unclear with reason", map[string]any{"/answers/prognosis": "PROGNOS_OKLAR", "/answers/prognosisMonths": nil, "/answers/prognosisReason": "Utredning pågår."}, nil},
		{"prognosis unclear without reason", map[string]any{"/answers/prognosis": "PROGNOS_OKLAR", "/answers/prognosisMonths": nil}, []string{"/answers/prognosisReason required"}},
		{"prognosis reason not allowed", map[string]any{"/answers/prognosisReason": "x"}, []string{"/answers/prognosisReason notAllowed"}},
		// A refused value decides no condition: the questions that hang on
		// it get no problem of their own.
		{"prognosis unknown with its months", map[string]any{"/answers/prognosis": "KANSKE"}, []string{"/answers/prognosis enum"}},
		{"prognosis a number with its months", map[string]any{"/answers/prognosis": 3}, []string{"/answers/prognosis enum"}},
		{"uneven hours as text with its reason", map[string]any{"/answers/unevenWorkingHours": "ja"}, []string{"/answers/unevenWorkingHours type"}},
		{"contact requested as text with its reason", map[string]any{"/answers/contactRequested": "ja"}, []string{"/answers/contactRequested type"}},
		{"basis type a number with the other description", map[string]any{"/answers/basis/1/type": 5, "/answers/basisOtherDescription": "x"}, []string{"/answers/basis/1/type enum"}},
		{"sick leave not a list with uneven hours", map[string]any{"/answers/sickLeave": "50 %"}, []string{"/answers/sickLeave type"}},
		// But one refused item does not hide what the others decide.
		{"basis ANNAT beside a refused type, no description", map[string]any{"/answers/basis/1/type": "ANNAT", "/answers/basis/0/type": 5}, []string{"/answers/basis/0/type enum", "/answers/basisOtherDescription required"}},
		{"occupation current job beside an unknown one, no description", map[string]any{"/answers/occupation": raw(t, `["NUVARANDE_ARBETE","PENSION"]`), "/answers/occupationDescription": nil}, []string{"/answers/occupation/1 enum", "/answers/occupationDescription required"}},
		{"degree 30 beside 50, no uneven hours", map[string]any{"/answers/sickLeave/0/degree": 30, "/answers/unevenWorkingHours": nil, "/answers/unevenWorkingHoursReason": nil}, []string{"/answers/sickLeave/0/degree enum", "/answers/unevenWorkingHours required"}},
		{"5 periods with 50, no uneven hours", map[string]any{"/answers/sickLeave": raw(t, `[{"degree":100,"from":"2026-11-20","to":"2026-11-26"},{"degree":75,"from":"2026-11-27","to":"2026-12-03"},{"degree":50,"from":"2026-12-04","to":"2026-12-10"},{"degree":25,"from":"2026-12-11","to":"2026-12-17"},{"degree":25,"from":"2026-12-18","to":"2026-12-24"}]`), "/answers/unevenWorkingHours": nil, "/answers/unevenWorkingHoursReason": nil},
			[]string{"/answers/sickLeave maxItems", "/answers/sickLeave/4/degree duplicate", "/answers/unevenWorkingHours required"}},
		{"a period's degree missing beside 50", map[string]any{"/answers/sickLeave/0/degree": nil}, []string{"/answers/sickLeave/0/degree required"}},
		{"prognosis missing with its months", map[string]any{"/answers/prognosis": nil}, []string{"/answers/prognosis required"}},
		// An empty list is as undecided as a missing one.
		{"occupation empty with its description", map[string]any{"/answers/occupation": raw(t, `[]`)}, []string{"/answers/occupation minItems"}},
		{"sick leave empty with uneven hours", map[string]any{"/answers/sickLeave": raw(t, `[]`)}, []string{"/answers/sickLeave minItems"}},
		{"basis empty with the other description", map[string]any{"/answers/basis": raw(t, `[]`), "/answers/basisOtherDescription": "x"}, []string{"/answers/basis minItems"}},
		// A refused flag leaves undecided whether another rule forbids an
		// answer, so it is not asked for either.
		{"infection control as text, ANNAT without description", map[string]any{"/answers/infectionControl": "ja", "/answers/basis/1/type": "ANNAT"}, []string{"/answers/infectionControl type"}},

		// 44, 25, 26, 26.2.
		{"measures 4001", map[string]any{"/answers/measures": long(4001)}, []string{"/answers/measures maxLength"}},
		{"other information 4001", map[string]any{"/answers/otherInformation": long(4001)}, []string{"/answers/otherInformation maxLength"}},
		{"contact requested without reason", map[string]any{"/answers/contactReason": nil}, nil},
		{"contact reason without request", map[string]any{"/answers/contactRequested": false}, []string{"/answers/contactReason notAllowed"}},
		{"contact reason with request missing", map[string]any{"/answers/contactRequested": nil}, []string{"/answers/contactReason notAllowed"}},

		// 27 infection control (smittbärarpenning).
		{"infection control minimal", map[string]any{"/answers": raw(t, `{"infectionControl":true,"diagnoses":[{"code":"A08.4","description":"Virusenterit"}],"sickLeave":[{"degree":100,"from":"2026-11-20","to":"2026-11-23"}]}`)}, nil},
		{"infection control with other information", map[string]any{"/answers": raw(t, `{"infectionControl":true,"otherInformation":"Smittbärare.","diagnoses":[{"code":"A08.4","description":"Virusenterit"}],"sickLeave":[{"degree":100,"from":"2026-11-20","to":"2026-11-23"}]}`)}, nil},
		{"infection control part time", map[string]any{"/answers": raw(t, `{"infectionControl":true,"diagnoses":[{"code":"A08.4","description":"Virusenterit"}],"sickLeave":[{"degree":50,"from":"2026-11-20","to":"2026-11-23"}]}`)}, nil},
		{"infection control without diagnoses", map[string]any{"/answers": raw(t, `{"infectionControl":true,"sickLeave":[{"degree":100,"from":"2026-11-20","to":"2026-11-23"}]}`)}, []string{"/answers/diagnoses required"}},
		{"infection control with prognosis", map[string]any{"/answers": raw(t, `{"infectionControl":true,"prognosis":"STOR_SANNOLIKHET","diagnoses":[{"code":"A08.4","description":"Virusenterit"}],"sickLeave":[{"degree":100,"from":"2026-11-20","to":"2026-11-23"}]}`)}, []string{"/answers/prognosis notAllowed"}},
		// A field 27 rules out is not also asked for by the answer 27
		// rules out: one notAllowed, not a required that cannot be met.
		{"infection control with basis ANNAT", map[string]any{"/answers": raw(t, `{"infectionControl":true,"basis":[{"type":"ANNAT","date":"2026-11-19"}],"diagnoses":[{"code":"A08.4","description":"Virusenterit"}],"sickLeave":[{"degree":100,"from":"2026-11-20","to":"2026-11-23"}]}`)},
			[]string{"/answers/basis notAllowed"}},
		{"infection control with prognosis in months", map[string]any{"/answers": raw(t, `{"infectionControl":true,"prognosis":"ATER_X_ANTAL_MANADER","diagnoses":[{"code":"A08.4","description":"Virusenterit"}],"sickLeave":[{"degree":100,"from":"2026-11-20","to":"2026-11-23"}]}`)},
			[]string{"/answers/prognosis notAllowed"}},
		{"infection control with occupation and uneven hours", map[string]any{"/answers": raw(t, `{"infectionControl":true,"occupation":["NUVARANDE_ARBETE"],"unevenWorkingHours":true,"diagnoses":[{"code":"A08.4","description":"Virusenterit"}],"sickLeave":[{"degree":50,"from":"2026-11-20","to":"2026-11-23"}]}`)},
			[]string{"/answers/occupation notAllowed", "/answers/unevenWorkingHours notAllowed"}},
		{"infection control with everything", map[string]any{"/answers/infectionControl": true}, []string{
			"/answers/activityLimitation notAllowed", "/answers/basis notAllowed", "/answers/contactReason notAllowed", "/answers/contactRequested notAllowed", "/answers/fmbMotivation notAllowed", "/answers/functionalImpairment notAllowed", "/answers/measures notAllowed", "/answers/occupation notAllowed", "/answers/occupationDescription notAllowed", "/answers/prognosis notAllowed", "/answers/prognosisMonths notAllowed", "/answers/transportToWork notAllowed", "/answers/treatment notAllowed", "/answers/unevenWorkingHours notAllowed", "/answers/unevenWorkingHoursReason notAllowed"}},
		{"infection control false is the default", map[string]any{"/answers/infectionControl": false}, nil},
		{"infection control wrong type", map[string]any{"/answers/infectionControl": "true"}, []string{"/answers/infectionControl type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mutate(t, baseFK7804, tt.changes)
			_, err := eng.Intake(b, testNow)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Intake() = %v, want valid", err)
				}
				return
			}
			if code := intake.ErrorCode(err); code != intake.EINVALID {
				t.Fatalf("Intake() error code = %q (%v), want %q", code, err, intake.EINVALID)
			}
			got := codes(intake.ErrorProblems(err))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLeapSecond: a signing time at a leap second is stored as the second
// before it (Go's times have no 60th second), in its own offset.
func TestLeapSecond(t *testing.T) {
	eng := mustEngine(t)
	for in, want := range map[string]string{
		"2026-11-20T23:59:60Z":        "2026-11-20T23:59:59Z",
		"2026-11-20T15:59:60.5-08:00": "2026-11-20T15:59:59.5-08:00",
	} {
		cert, err := eng.Intake(mutate(t, baseFK7804, map[string]any{"/signedAt": in}), testNow)
		if err != nil {
			t.Fatalf("signedAt %s: Intake() = %v, want accepted", in, err)
		}
		if got := cert.SignedAt.Format(time.RFC3339Nano); got != want {
			t.Errorf("signedAt %s stored as %s, want %s", in, got, want)
		}
	}
}

// TestPatientIDWithoutSigningTime: without a signing time, the identity
// number is checked against today in Stockholm, as every "today" is: at
// 00:30 there on 21 November (23:30 UTC on the 20th) a child born that day
// is no birth in the future.
func TestPatientIDWithoutSigningTime(t *testing.T) {
	eng := mustEngine(t)
	b := mutate(t, baseFK7804, map[string]any{"/signedAt": nil, "/patient/id": "202611212396"})
	_, err := eng.Intake(b, time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC))
	if diff := cmp.Diff([]string{"/signedAt required"}, codes(intake.ErrorProblems(err))); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

func TestEarlyStartIsAWarning(t *testing.T) {
	eng := mustEngine(t)
	tests := []struct {
		name string
		from string
		want []string
	}{
		{"seven days before", "2026-11-13", nil},
		{"eight days before", "2026-11-12", []string{"/answers/sickLeave/0/from earlyStart"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mutate(t, baseFK7804, map[string]any{"/answers/sickLeave/0/from": tt.from})
			cert, err := eng.Intake(b, testNow)
			if err != nil {
				t.Fatalf("Intake() = %v, want accepted", err)
			}
			var got []string
			if len(cert.Warnings) > 0 {
				got = codes(cert.Warnings)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAllProblemsAtOnce checks that problems from the schema, the envelope
// and the rules come back together, sorted by pointer.
func TestAllProblemsAtOnce(t *testing.T) {
	eng := mustEngine(t)
	b := mutate(t, baseFK7804, map[string]any{
		"/patient/id":              "19121212-1213",
		"/answers/sickLeave/1/to":  "2026-12-01",
		"/answers/prognosisMonths": nil,
		"/issuer/role":             "NURSE",
	})
	_, err := eng.Intake(b, testNow)
	want := []string{"/answers/prognosisMonths required", "/answers/sickLeave/1/to dateBeforeStart", "/issuer/role enum", "/patient/id checksum"}
	if diff := cmp.Diff(want, codes(intake.ErrorProblems(err))); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	for _, p := range intake.ErrorProblems(err) {
		if p.Message == "" || p.MessageEn == "" || strings.Contains(p.Message+p.MessageEn, "%!") {
			t.Errorf("problem %s %s has a bad message: %q / %q", p.Pointer, p.Code, p.Message, p.MessageEn)
		}
	}
}

// TestNumbersInAnyJSONForm checks that 50, 50.0 and 5e1 are one degree.
func TestNumbersInAnyJSONForm(t *testing.T) {
	eng := mustEngine(t)
	for _, form := range []string{"50", "50.0", "5e1", "5.0E1"} {
		b := strings.Replace(string(mutate(t, baseFK7804, nil)), `"degree":50`, `"degree":`+form, 1)
		cert, err := eng.Intake([]byte(b), testNow)
		if err != nil {
			t.Fatalf("degree %s: %v", form, err)
		}
		if got := cert.SickLeave.DaysByDegree["50"]; got != 14 {
			t.Errorf("degree %s: %d days at 50 %%, want 14", form, got)
		}
	}
}
