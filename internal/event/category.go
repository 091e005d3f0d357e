package event

// Category is Threshold's normalised event type. The taxonomy is small on
// purpose: it is what indicators and alert rules count, while the source's
// own codes stay on the event (SourceType, SourceSubType) for analysts.
//
// Mapping from the sources (applied by the ingest package):
//
//	UCDP type_of_violence   1 state-based, 2 non-state     -> battle
//	                        3 one-sided                    -> violence-against-civilians
//	UCDP DECO type 4        government vs unorganised opponents
//	                        (deadly election riots)        -> riot
//	ACLED event_type        Battles                        -> battle
//	                        Explosions/Remote violence     -> explosion-remote-violence
//	                        Violence against civilians     -> violence-against-civilians
//	                        Riots                          -> riot
//	                        Protests                       -> protest
//	                        Strategic developments         -> diplomatic-cooperation for sub_event_type
//	                                                          "Agreement", other otherwise
//	CAMEO root (GDELT, ICEWS)
//	                        01-09 statements, appeals, intent to cooperate, consultation,
//	                              diplomatic and material cooperation, aid, yielding,
//	                              investigation                -> diplomatic-cooperation
//	                              (0831 "accede to demands for change in leadership"
//	                               -> coup is NOT inferred: a resignation is not a coup)
//	                        10-12 demand, disapprove, reject -> diplomatic-conflict
//	                        13    threaten                 -> threat
//	                        14    protest                  -> protest, but 145x (violent protest) -> riot
//	                        15    exhibit force posture    -> threat
//	                        16    reduce relations         -> diplomatic-conflict
//	                        17    coerce                   -> violence-against-civilians
//	                        18    assault                  -> violence-against-civilians, but 183x
//	                                                          (bombings) -> explosion-remote-violence
//	                        19    fight                    -> battle, but 195 (aerial weapons)
//	                                                          -> explosion-remote-violence
//	                        20    unconventional mass violence -> violence-against-civilians
//
//	Powell & Thyne coups    coup 1 (failed), 2 (successful) -> coup
//
// Coups and unconstitutional changes of government come from coup lists and
// field reports; no event source codes them reliably.
type Category string

// The categories.
const (
	Battle                   Category = "battle"                     // armed clash between organised armed groups, one of them possibly the state
	ViolenceAgainstCivilians Category = "violence-against-civilians" // one-sided violence: deliberate killing or abuse of unarmed people
	ExplosionRemoteViolence  Category = "explosion-remote-violence"  // bombs, shelling, air strikes, mines: violence without a clash
	Riot                     Category = "riot"                       // violent demonstration or mob violence
	Protest                  Category = "protest"                    // non-violent demonstration
	Coup                     Category = "coup"                       // coup, coup attempt or other unconstitutional change of government
	Threat                   Category = "threat"                     // threats, ultimatums, shows of force
	DiplomaticCooperation    Category = "diplomatic-cooperation"     // statements, talks, agreements, aid
	DiplomaticConflict       Category = "diplomatic-conflict"        // demands, criticism, rejection, cutting relations
	Other                    Category = "other"                      // recorded by the source, none of the above
)

// Categories lists every category, most violent first.
func Categories() []Category {
	return []Category{Battle, ViolenceAgainstCivilians, ExplosionRemoteViolence, Riot, Protest,
		Coup, Threat, DiplomaticCooperation, DiplomaticConflict, Other}
}

// Valid reports whether c is in the taxonomy.
func (c Category) Valid() bool {
	for _, k := range Categories() {
		if c == k {
			return true
		}
	}
	return false
}

// Violent reports whether events of this category are political violence
// (as opposed to protest, threats and diplomacy).
func (c Category) Violent() bool {
	switch c {
	case Battle, ViolenceAgainstCivilians, ExplosionRemoteViolence, Riot, Coup:
		return true
	}
	return false
}
