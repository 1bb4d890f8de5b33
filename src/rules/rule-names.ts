/** How a rule is known: by its Sigma id, else its name, else its title (a correlation names its rules by any of them). */
interface Named {
  rule: { id?: string; name?: string; title: string };
}

/** A rule's stable id: its Sigma id, else its name, else its title. */
export const ruleId = (r: Named) => r.rule.id ?? r.rule.name ?? r.rule.title;

/** Every name a rule answers to, id first. */
export const namesOf = (r: Named) => [r.rule.id, r.rule.name, r.rule.title].filter((x): x is string => !!x);
