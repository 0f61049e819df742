// Guidance where it is needed (roadmap section 7.7, supported capability building): beside each
// measure, what counts, what is not additional and what good evidence looks like; beside the
// evaluation form, the 60:40 rule and why. Written for this portal from the Cheshire and
// Merseyside roadmap ("Towards a Social Value Economy") and the TOMs measures it uses.

import { h, disclosure } from "./ui.js";

/** The principle every measure shares. */
export const ADDITIONALITY =
  "Social value is what a contract delivers over and above what the contract itself requires. " +
  "If the work, spend or hiring would happen anyway because the contract, the law or the " +
  "supplier's existing business needs it, it is not additional and does not count.";

const THEMES = {
  Jobs: {
    counts: [
      "People hired or kept on to work on this contract, counted as full-time equivalents (FTE) for the time they work on it.",
      "Apprenticeship, T-Level and training weeks that people start, complete or are supported through while on the contract.",
      "Support into work for people who face barriers to it: long-term unemployed, young people not in education, employment or training, care leavers, disabled people, ex-offenders.",
    ],
    notAdditional: [
      "Staff the contract needs to be delivered at all, where nothing was done to recruit locally or from the priority groups.",
      "Training the law or the contract already requires (for example statutory health and safety training).",
      "The same person counted twice in one quarter, or counted both as a hire and as a retained employee.",
    ],
    evidence: [
      "Payroll or HR records for each person counted: start date, hours, postcode district (to show they are local), anonymised.",
      "Apprenticeship agreements and training provider records with dates and levels.",
      "Referral records from Jobcentre Plus, a CVS or a local employment support service for people from priority groups.",
    ],
  },
  Growth: {
    counts: [
      "Money spent with voluntary, community, faith and social enterprise (VCFSE) organisations, and with local micro, small and medium businesses, through this contract.",
      "Hours of expert advice (finance, legal, HR, health and safety) and of volunteering given to VCFSE organisations, valued only once.",
      "Equipment or resources given to VCFSE organisations, at what they would have cost the organisation.",
    ],
    notAdditional: [
      "Spend with a supplier you already used before the contract, at the same level.",
      "Advice or volunteering the VCFSE organisation did not ask for or cannot use.",
      "Donating things you would otherwise have thrown away, valued at their price when new.",
    ],
    evidence: [
      "Invoices or purchase orders naming the VCFSE organisation or local business, with its charity, company or co-operative number.",
      "A confirmation from the VCFSE organisation that the support arrived and what difference it made (the brokerage can record this).",
      "Timesheets for advice and volunteering hours, with the organisation supported and what the time was spent on.",
    ],
  },
  Social: {
    counts: [
      "Initiatives that help local people: reducing crime, tackling homelessness, supporting rough sleepers, health and wellbeing activities, helping older, disabled and vulnerable people live independently.",
      "Donations and in-kind contributions to specific local community projects, and volunteering time given to them.",
    ],
    notAdditional: [
      "Corporate donations made regardless of the contract, or to causes outside the contract's area.",
      "Activity the contract's specification already pays for.",
    ],
    evidence: [
      "A short case study: who was helped, what changed for them, in their words where they agree.",
      "Receipts for donations, and a note from the project confirming what it received.",
      "Attendance or participation records, with numbers of people and places.",
    ],
  },
  Environment: {
    counts: [
      "Measured reductions against a stated benchmark: carbon emissions (tonnes CO2e), car miles, plastics, waste diverted from landfill.",
      "Time and resources given to green spaces, biodiversity and circular economy support in the supply chain.",
    ],
    notAdditional: [
      "Reductions that come from rules every supplier must meet, or from changes made before the contract.",
      "Estimates without a benchmark to measure them against.",
    ],
    evidence: [
      "The benchmark and the method: metered energy, fuel or mileage records, waste transfer notes.",
      "Certificates or reports from the recycling or conservation partner.",
    ],
  },
};

const MEASURES = {
  NT1: {
    counts: "Local people (living in the area the contract names) employed on the contract, in FTE: a person working half their hours on it counts as 0.5.",
    notAdditional: "Counting the whole existing workforce because it happens to live locally, without any local recruitment.",
    evidence: "Anonymised payroll extract: role, start date, contracted hours, postcode district.",
  },
  NT3: {
    counts: "People who had been unemployed for a year or longer when hired on the contract, in FTE.",
    notAdditional: "People moved from another of your contracts.",
    evidence: "A referral or eligibility record from an employment support service, and the start date.",
  },
  NT4: {
    counts: "Young people who were not in employment, education or training when hired, in FTE.",
    notAdditional: "Students on holiday work who return to education.",
    evidence: "Referral records (Connexions, Jobcentre, a VCFSE youth service) and the payroll entry.",
  },
  NT10: {
    counts: "Weeks of apprenticeship or T-Level placement on the contract, Level 2 to 4: one apprentice for a quarter is about 13 weeks.",
    notAdditional: "Apprentices the contract's specification already requires you to employ.",
    evidence: "Apprenticeship agreement, training provider, level, start date and weeks in the period.",
  },
  NT14: {
    counts: "Money paid through this contract to VCFSE organisations in your supply chain, in GBP.",
    notAdditional: "Grants or donations (they belong under other measures) and spend that predates the contract at the same level.",
    evidence: "Invoices with the organisation's charity, company or CIC number, and dates paid.",
  },
  NT15: {
    counts: "Hours of expert advice (finance, legal, HR, health and safety) given free to VCFSE organisations or small businesses.",
    notAdditional: "General volunteering (that is NT17) or advice the organisation did not ask for.",
    evidence: "Timesheets naming the organisation, the adviser's role and the subject; the organisation's confirmation.",
  },
  NT16: {
    counts: "Equipment or resources given to VCFSE organisations, at what it would have cost them to buy.",
    notAdditional: "Items you would have disposed of anyway, valued at their new price.",
    evidence: "A list of items with a fair value, and a receipt from the organisation.",
  },
  NT17: {
    counts: "Hours your staff volunteer for VCFSE organisations in work time (not expert advice, which is NT15).",
    notAdditional: "Hours the contract already pays for as part of its delivery.",
    evidence: "Timesheets and the organisation's confirmation of the hours and what they were for.",
  },
  NT18: {
    counts: "Money spent in the local supply chain through this contract, in GBP.",
    notAdditional: "Spend with a local branch of a national firm whose money leaves the area.",
    evidence: "Purchase ledger extract with each supplier's local address.",
  },
  NT19: {
    counts: "Money spent through this contract with local micro, small and medium businesses.",
    notAdditional: "Spend that would go to the same businesses without the contract.",
    evidence: "Purchase ledger extract with each supplier's size band and address.",
  },
  NT28: {
    counts: "Money and materials given to named local community projects.",
    notAdditional: "Sponsorship that is mainly advertising.",
    evidence: "Receipts and a note from the project about what the contribution made possible.",
  },
  NT29: {
    counts: "Hours your staff volunteer on local community projects.",
    notAdditional: "Hours spent on the contract's own delivery.",
    evidence: "Timesheets and the project's confirmation.",
  },
  NT31: {
    counts: "Tonnes of CO2e saved on the contract against a benchmark set at the start.",
    notAdditional: "Savings required by regulation, or made before the contract began.",
    evidence: "The benchmark, the method, and metered or invoiced energy and fuel figures.",
  },
};

const RETURN_TIPS = [
  "Report the number delivered in the quarter alone; the ledger adds the quarters up.",
  "A nil return (0) is better than none: it stops an overdue alert and says what is happening.",
  "Say in a sentence or two what the numbers mean for people and places; a short case study helps the contract manager more than a bigger number.",
  "Give evidence references you can produce if asked (a payroll extract reference, an invoice number, a file name): do not upload personal data.",
];

function list(items) {
  return h("ul", {}, items.map((i) => h("li", {}, i)));
}

/** What counts, what is not additional and good evidence, for one measure. */
export function measureGuidance({ code, theme, unit, wording }) {
  const general = THEMES[theme] || THEMES.Jobs;
  const own = MEASURES[code];
  return disclosure(
    `Guidance for ${code}: what counts and what evidence to keep`,
    wording ? h("p", {}, h("strong", {}, `${code}: `), wording, unit ? ` (counted in ${unit})` : "") : null,
    h("h4", {}, "What counts"),
    own ? h("p", {}, own.counts) : null,
    list(general.counts),
    h("h4", {}, "What is not additional"),
    h("p", {}, ADDITIONALITY),
    own ? h("p", {}, own.notAdditional) : null,
    list(general.notAdditional),
    h("h4", {}, "Good evidence"),
    own ? h("p", {}, own.evidence) : null,
    list(general.evidence),
  );
}

/** Beside the evaluation form: the 60:40 rule and why, and the rules tenders should meet. */
export function evaluationGuidance() {
  return h(
    "aside",
    { class: "aside", "aria-labelledby": "guidance-6040" },
    h("h2", { id: "guidance-6040" }, "The 60:40 rule, and why"),
    h(
      "p",
      {},
      "Score the social value part of a bid at least 60% on quality (qualitative) and at most 40% on numbers (quantitative).",
    ),
    h(
      "p",
      {},
      "Why: numbers alone reward whoever promises most, and the roadmap heard that this encourages " +
        "over-promising and shrinks social value to apprenticeships. Judging the method, the plan, " +
        "the track record and the links with local communities rewards bids that will actually change lives.",
    ),
    h("h3", {}, "When you score the qualitative part, look for"),
    list([
      "A clear method and action plan: who will do what, when, with whom, and how progress will be reported each quarter.",
      "Evidence the bidder has delivered this before, with outcomes, not just activity.",
      "Named VCFSE partners or a credible way of finding them through the local CVS.",
      "Commitments that match local needs and the contract's places.",
      "Additionality: nothing the contract already requires.",
    ]),
    h("h3", {}, "Good tender practice"),
    list([
      "Social value weighs at least 10% of the total award score.",
      "Requirements are relevant to the contract, proportionate to its size, and additional to its core requirements.",
      "Allow at least six weeks when VCFSE organisations may bid, so smaller organisations can take part.",
    ]),
  );
}

/** Beside a return: how to report well. */
export function returnGuidance() {
  return h(
    "aside",
    { class: "aside", "aria-labelledby": "guidance-returns" },
    h("h2", { id: "guidance-returns" }, "Reporting a quarter well"),
    list(RETURN_TIPS),
    h("p", {}, ADDITIONALITY),
  );
}

export const THEME_GUIDANCE = THEMES;
