package ingest

import "threshold/internal/event"

// CAMEO (Conflict and Mediation Event Observations) is the event-type
// scheme GDELT and ICEWS code with. A code is two to four digits, always
// read as a string: the first two digits are its root, one of 20 from "01"
// (make public statement) to "20" (unconventional mass violence), and "010"
// (make statement) is not "10" (demand).

// cameoRoots is the category of each CAMEO root, indexed by the root's
// number; index 0 is unused. See event.Category for the mapping's rationale.
var cameoRoots = [21]event.Category{
	1:  event.DiplomaticCooperation,    // make public statement
	2:  event.DiplomaticCooperation,    // appeal
	3:  event.DiplomaticCooperation,    // express intent to cooperate
	4:  event.DiplomaticCooperation,    // consult
	5:  event.DiplomaticCooperation,    // engage in diplomatic cooperation
	6:  event.DiplomaticCooperation,    // engage in material cooperation
	7:  event.DiplomaticCooperation,    // provide aid
	8:  event.DiplomaticCooperation,    // yield; 0831 (accede to leadership change) is not a coup
	9:  event.DiplomaticCooperation,    // investigate
	10: event.DiplomaticConflict,       // demand
	11: event.DiplomaticConflict,       // disapprove
	12: event.DiplomaticConflict,       // reject
	13: event.Threat,                   // threaten
	14: event.Protest,                  // protest; 145x is refined to riot
	15: event.Threat,                   // exhibit force posture
	16: event.DiplomaticConflict,       // reduce relations
	17: event.ViolenceAgainstCivilians, // coerce
	18: event.ViolenceAgainstCivilians, // assault; 183x is refined to explosion
	19: event.Battle,                   // fight; 195x is refined to explosion
	20: event.ViolenceAgainstCivilians, // unconventional mass violence
}

// cameoCategory maps a CAMEO event code to its category: by root, except
// that 145x (protest violently, riot) is a riot, 183x (suicide, car or other
// non-military bombing) and 195x (employ aerial weapons) are
// explosion-remote-violence. It reports false when code is not two to four
// ASCII digits with a root from 01 to 20. Codes are not checked against the
// CAMEO code list: a well-formed code the list lacks still maps by its
// root.
func cameoCategory(code string) (event.Category, bool) {
	if len(code) < 2 || len(code) > 4 {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", false
		}
	}
	root := int(code[0]-'0')*10 + int(code[1]-'0')
	if root < 1 || root > 20 {
		return "", false
	}
	if len(code) >= 3 {
		switch {
		case root == 14 && code[2] == '5':
			return event.Riot, true
		case root == 18 && code[2] == '3', root == 19 && code[2] == '5':
			return event.ExplosionRemoteViolence, true
		}
	}
	return cameoRoots[root], true
}
