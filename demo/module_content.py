"""The words of the demonstration modules, as raw StreamField data.

Written to follow the joint BTS/NICE/SIGN asthma guideline (NICE NG245, November 2024) and NICE
quality standard QS25 in outline. Figures are only those published by Asthma UK and quoted by the
IMP2ART programme. It is demonstration material: every module and the index say so.
"""

from __future__ import annotations

from typing import Any

from accounts.roles import PracticeRole

NG245 = "https://www.nice.org.uk/guidance/ng245"
QS25 = "https://www.nice.org.uk/guidance/qs25"
ASTHMA_LUNG_UK = "https://www.asthmaandlung.org.uk/"

DEMO_NOTICE = (
    "<p><b>Demonstration material.</b> This module was written to demonstrate the platform. It follows "
    f'the <a href="{NG245}">BTS/NICE/SIGN asthma guideline (NICE NG245, 2024)</a> in outline but has not '
    "been through clinical review. It is not a substitute for the current guideline, the BNF, local "
    "protocols or clinical judgement.</p>"
)


# Builders for raw block data (the JSON Wagtail stores). Ids are added when the demo is seeded.

def text(html: str) -> dict[str, Any]:
    return {"type": "rich_text", "value": html}


def inset(html: str) -> dict[str, Any]:
    return {"type": "inset_text", "value": {"body": html}}


def warning(title: str, html: str, *, heading_level: int = 2) -> dict[str, Any]:
    return {"type": "warning_callout", "value": {"title": title, "heading_level": heading_level, "body": html}}


def care_card(kind: str, title: str, html: str, *, heading_level: int = 2) -> dict[str, Any]:
    return {
        "type": "care_card",
        "value": {
            "type": kind,
            "heading_level": heading_level,
            "title": title,
            "body": [{"type": "richtext", "value": html}],
        },
    }


def do_list(items: list[str], *, label: str = "", heading_level: int = 3) -> dict[str, Any]:
    return {
        "type": "do_list",
        "value": {"heading_level": heading_level, "label": label, "do": [{"type": "item", "value": i} for i in items]},
    }


def dont_list(items: list[str], *, label: str = "", heading_level: int = 3) -> dict[str, Any]:
    return {
        "type": "dont_list",
        "value": {"heading_level": heading_level, "label": label, "dont": [{"type": "item", "value": i} for i in items]},
    }


def details(title: str, html: str) -> dict[str, Any]:
    return {"type": "details", "value": {"title": title, "body": [{"type": "richtext", "value": html}]}}


def check(
    question: str,
    options: list[tuple[str, bool, str]],
    *,
    kind: str = "single",
    hint: str = "",
    explanation: str = "",
) -> dict[str, Any]:
    return {
        "type": "knowledge_check",
        "value": {
            "question": question,
            "kind": kind,
            "hint": hint,
            "options": [
                {"type": "item", "value": {"text": option, "is_correct": correct, "feedback": feedback}}
                for option, correct, feedback in options
            ],
            "explanation": explanation,
        },
    }


def reflect(prompt: str) -> dict[str, Any]:
    return {"type": "reflection_prompt", "value": {"prompt": prompt}}


def resource(title: str, document_key: str, description: str) -> dict[str, Any]:
    return {"type": "resource", "value": {"title": title, "document_key": document_key, "description": description}}


MODULE_INDEX: dict[str, Any] = {
    "title": "Modules",
    "slug": "modules",
    "intro": (
        "<p>Two modules on supported asthma self-management for general-practice teams: a short module "
        "for the whole practice team, and an in-depth module for the clinicians who run asthma reviews.</p>"
        "<p><b>Demonstration material.</b> These modules were written to demonstrate the platform. They "
        "follow the BTS/NICE/SIGN asthma guideline (2024) in outline but have not been through clinical "
        "review, and are not a substitute for the current guideline, local protocols or clinical "
        "judgement.</p>"
    ),
}

ACTION_PLAN_DOCUMENT: dict[str, Any] = {
    "title": "Demonstration asthma action plan (PDF)",
    "filename": "demonstration-asthma-action-plan.pdf",
}


# --- The team module --------------------------------------------------------------------------

TEAM_SECTIONS: list[dict[str, Any]] = [
    {
        "slug": "why-self-management-matters",
        "title": "Why supported self-management matters",
        "summary": "What supported self-management is, and why asthma care needs the whole practice team.",
        "weight": 1,
        "body": [
            text(
                "<p>Asthma UK estimates that 5 million people in the UK have asthma. With good management "
                "most of them should be free of symptoms most of the time. Yet 60,000 people are admitted "
                "to hospital with asthma each year, many more need emergency care from their GP, and "
                "1,200 people in the UK die from asthma each year. Many of these deaths are preventable.</p>"
                "<h2>What supported self-management means</h2>"
                "<p>Supported self-management helps people with asthma to recognise when their asthma is "
                "getting worse and to know what to do about it. It has two parts that work together:</p>"
                "<ul><li>a <b>personalised asthma action plan</b>, agreed with the person and kept by them</li>"
                "<li><b>regular professional review</b>: at least once a year, and soon after any asthma "
                "attack</li></ul>"
                "<p>Supported self-management, including talking through a personalised action plan, helps "
                "people adjust their treatment when symptoms get worse, improves day-to-day asthma control "
                "and reduces the risk of asthma attacks and unscheduled consultations. UK guidelines "
                "recommend it for everyone with asthma, yet it is not routine: fewer than a quarter of "
                "people who answered an Asthma UK web survey said they had an action plan.</p>"
            ),
            inset(
                "<p>Self-management works best when three kinds of support come together: education for "
                "people with asthma, training for professionals, and a practice organised so that reviews "
                "and action plans happen as a matter of routine. This module is about the last two.</p>"
            ),
            text(
                "<h2>Why the whole team</h2>"
                "<p>Most of the contacts a person with asthma has with the practice are not asthma reviews. "
                "They phone reception, order repeat prescriptions, collect medicines or see a healthcare "
                "assistant about something else. Each contact is a chance to notice that something is wrong "
                "and to encourage a review. That is why this module is for everyone in the practice, not "
                "only for clinicians.</p>"
            ),
        ],
    },
    {
        "slug": "what-is-an-action-plan",
        "title": "What a personalised asthma action plan is",
        "summary": "What goes in an action plan, who writes it, and how every team member can ask about one.",
        "weight": 1,
        "body": [
            text(
                "<p>A personalised asthma action plan is a written plan, agreed between a person with "
                "asthma and the clinician who reviews their asthma. It says:</p>"
                "<ul><li>which asthma medicines they use every day, and how (their usual treatment)</li>"
                "<li>how to tell when their asthma is getting worse, from their symptoms and, for some "
                "people, their peak flow readings</li>"
                "<li>what to do when it gets worse, including any agreed change to their medicines</li>"
                "<li>what to do in an asthma attack, and when and how to get emergency help</li></ul>"
                "<p>The plan can be on paper or digital. The person keeps it somewhere they can find it "
                "quickly, and the practice records that it was given or updated.</p>"
                "<h2>Who writes it</h2>"
                "<p>The clinician who reviews the person's asthma completes the plan with them, usually at "
                "the annual review or after an attack. Other team members do not write plans, but anyone "
                "can ask “Do you have an asthma action plan?” and help the person book a review if "
                "they do not.</p>"
            ),
            details(
                "Why plans must be personal",
                "<p>Since the 2024 BTS/NICE/SIGN guideline, many people aged 12 and over use one inhaler "
                "containing a steroid and formoterol, both to relieve symptoms and, for some, every day. "
                "Their plan looks different from the plan of someone who uses a separate preventer and a "
                "blue reliever inhaler. A plan has to match the person's own treatment, and must be "
                "updated when that treatment changes.</p>",
            ),
            check(
                "Which of these belong in a personalised asthma action plan?",
                [
                    ("The person's usual daily asthma medicines", True,
                     "Yes. The plan starts from the treatment the person normally uses."),
                    ("How to recognise that their asthma is getting worse", True,
                     "Yes. Recognising worsening early is the heart of self-management."),
                    ("What to do, and when to get emergency help, if it gets worse", True,
                     "Yes. The plan says what to change and when to get urgent help."),
                    ("A list of the appointments they have missed", False,
                     "No. The plan is a practical guide for the person with asthma, not a record of "
                     "attendance."),
                ],
                kind="multiple",
                hint="Select all that apply.",
                explanation=(
                    "<p>A plan covers the person's usual treatment, the signs that their asthma is getting "
                    "worse, what to do then, and when to get emergency help.</p>"
                ),
            ),
        ],
    },
    {
        "slug": "every-role-counts",
        "title": "Each role's part, from reception to GP",
        "summary": "What reception, managers, HCAs, nurses, pharmacists and GPs can each do.",
        "weight": 2,
        "body": [
            text(
                "<p>Every role in the practice has a part in supported self-management. Practices organise "
                "themselves differently, so agree locally who does what, and make sure everyone knows.</p>"
                "<h2>Reception and administrative staff</h2>"
                "<ul><li>Book asthma reviews when invited patients get in touch, at a time that suits "
                "them.</li>"
                "<li>Recognise calls that need a clinician the same day, or an ambulance, and act at once "
                "(see the next section).</li>"
                "<li>Let the responsible clinician or pharmacist know about frequent requests for reliever "
                "inhalers, and about patients who mention a recent A&amp;E, out-of-hours or hospital visit "
                "for asthma.</li>"
                "<li>Ask people who contact the practice about their asthma whether they have an action "
                "plan.</li></ul>"
                "<h2>Practice manager</h2>"
                "<ul><li>Make sure there is a working recall system for annual asthma reviews.</li>"
                "<li>Give follow-up after asthma attacks a named owner.</li>"
                "<li>Protect clinical time for reviews, and give the team time to complete this "
                "module.</li></ul>"
                "<h2>Healthcare assistants</h2>"
                "<ul><li>Where trained, and within your practice's protocols, support reviews: for example "
                "checking inhaler technique or recording smoking status and offering support to stop.</li>"
                "<li>Pass on asthma concerns that come up in other appointments.</li></ul>"
                "<h2>Practice nurses and advanced nurse practitioners</h2>"
                "<ul><li>Run structured asthma reviews: assess control, check inhaler technique and "
                "adherence, agree treatment, and complete the action plan with the person.</li>"
                "<li>Follow up people after asthma attacks.</li></ul>"
                "<h2>Clinical pharmacists</h2>"
                "<ul><li>Look at repeat prescribing: frequent reliever requests and preventers not being "
                "collected are warning signs.</li>"
                "<li>Review medicines, check inhaler technique and support people to take their treatment "
                "as agreed.</li></ul>"
                "<h2>GPs and physician associates</h2>"
                "<ul><li>See people whose asthma is poorly controlled, who have had an attack, or whom the "
                "team is worried about. Physician associates work within their scope of practice and with "
                "GP supervision.</li>"
                "<li>GPs lead on diagnosis, treatment changes and referral, and support the practice's "
                "asthma systems as clinical leads.</li></ul>"
            ),
            reflect(
                "What could you do in your own role this month to help one person with asthma get a "
                "review or an action plan?"
            ),
        ],
    },
    {
        "slug": "recognising-poor-control",
        "title": "Recognising and acting on poor asthma control",
        "summary": "Warning signs the practice can see, urgent calls, and frequent reliever requests.",
        "weight": 2,
        "body": [
            text(
                "<p>Asthma attacks rarely come out of nowhere. There are often warning signs in the weeks "
                "and months before, and some of them are visible to the practice team before anyone "
                "else.</p>"
                "<h2>Warning signs the practice can see</h2>"
                "<ul><li><b>Frequent requests for reliever inhalers.</b> Using three or more short-acting "
                "reliever inhalers (SABA, usually blue) a year is linked with a higher risk of asthma "
                "attacks.</li>"
                "<li><b>Preventer inhalers not being collected</b> as often as they are prescribed.</li>"
                "<li><b>Emergency care for asthma:</b> A&amp;E, out-of-hours services or a hospital "
                "admission.</li>"
                "<li><b>Courses of steroid tablets</b> (such as prednisolone) for asthma.</li>"
                "<li><b>Missed asthma reviews.</b></li></ul>"
            ),
            care_card(
                "immediate",
                "A caller with asthma who may be having a severe attack",
                "<p>Do not book a routine appointment. Follow your practice's urgent call protocol: get a "
                "clinician straight away, and tell the caller to call 999 (or call for them) if the person "
                "with asthma:</p>"
                "<ul><li>is too breathless to speak, eat or sleep</li>"
                "<li>is using their reliever inhaler but it is not helping</li>"
                "<li>has blue or grey lips or fingertips</li>"
                "<li>is drowsy or confused</li></ul>"
                "<p>If you are unsure, ask a clinician at once.</p>",
            ),
            text(
                "<h2>Frequent requests for reliever inhalers</h2>"
                "<p>A request for a reliever inhaler is a chance to spot asthma that is not controlled. "
                "The person still needs their reliever: the aim is to flag the pattern, not to block the "
                "request.</p>"
            ),
            do_list(
                [
                    "process the request as your practice's repeat prescribing policy says",
                    "flag frequent reliever requests to the clinician or pharmacist responsible",
                    "offer an asthma review if the person has not had one in the last year",
                    "ask whether the person has an asthma action plan",
                ],
            ),
            dont_list(
                [
                    "refuse or hold back a reliever inhaler without a clinician's decision",
                    "treat frequent reliever requests as routine administration",
                    "assume someone who says their asthma is “fine” does not need a review",
                ],
            ),
            check(
                "A patient phones to order their third blue reliever inhaler in four months. They sound well "
                "and say their asthma is “fine”. What should you do?",
                [
                    ("Process the request as routine, as they say they are fine", False,
                     "Frequent reliever use is a warning sign even when the person feels well. It needs a "
                     "clinician's attention."),
                    ("Process the request as your policy says, and flag it so a clinician can offer a review",
                     True,
                     "Right. The person still gets their reliever, and the pattern of requests gets "
                     "clinical attention."),
                    ("Refuse the request until they have had a review", False,
                     "No. Never leave someone without a reliever inhaler on your own judgement: flag the "
                     "request, don't block it."),
                ],
                explanation=(
                    "<p>Using three or more reliever (SABA) inhalers a year is linked with a higher risk of "
                    "asthma attacks. Make sure the person has their reliever, and make sure someone who "
                    "can review their asthma knows.</p>"
                ),
            ),
        ],
    },
    {
        "slug": "making-reviews-routine",
        "title": "Making asthma reviews routine",
        "summary": "Recall, templates, follow-up after attacks and looking at your own data.",
        "weight": 1,
        "body": [
            text(
                "<p>Reviews and action plans become routine when the practice's systems make them the easy "
                "default, not when individuals have to remember.</p>"
                "<h2>What helps</h2>"
                "<ul><li><b>An annual recall.</b> Invite everyone on the asthma register for a review at "
                "least once a year, with reminders for people who do not respond.</li>"
                "<li><b>A structured review template</b> in the clinical system that prompts for asthma "
                "control, inhaler technique, treatment and the action plan, so every review covers the "
                "essentials.</li>"
                "<li><b>Follow-up after every asthma attack.</b> People treated in an emergency care setting "
                "for an asthma attack should be followed up by their practice within 2 working days of "
                f'discharge (<a href="{QS25}">NICE quality standard QS25</a>). Agree who reads discharge '
                "letters and out-of-hours reports, and who contacts the person.</li>"
                "<li><b>Alerts for warning signs</b>, such as frequent reliever requests, so they reach "
                "someone who can act.</li>"
                "<li><b>Looking at your own data</b>: for example how many people with asthma had a review "
                "in the last year and how many have an action plan, shared at team meetings.</li></ul>"
            ),
            details(
                "Questions for your next team meeting",
                "<ul><li>Who invites people for their annual asthma review, and what happens when they do "
                "not come?</li>"
                "<li>How do we find out that a patient has had emergency care for asthma, and who follows "
                "them up?</li>"
                "<li>What happens when someone requests reliever inhalers often?</li>"
                "<li>Does every review end with a completed or updated action plan?</li></ul>",
            ),
            reflect(
                "Think of the last person with asthma you had contact with at work. Did they have an "
                "action plan and a review in the last year? What would have helped?"
            ),
        ],
    },
]


# --- The in-depth module ----------------------------------------------------------------------

IN_DEPTH_SECTIONS: list[dict[str, Any]] = [
    {
        "slug": "patient-centred-review",
        "title": "The patient-centred review",
        "summary": "Starting from what matters to the person, and what a structured review covers.",
        "weight": 1,
        "body": [
            text(
                "<p>A structured asthma review is not a template to complete before the person leaves. "
                "People are more likely to use a plan they helped to write, for goals they care about.</p>"
                "<h2>Start with the person</h2>"
                "<ul><li>Ask what they want from the review and what matters to them: sleep, sport, work, "
                "looking after children.</li>"
                "<li>Explore how they understand their asthma and their medicines, including worries such "
                "as steroid side effects.</li>"
                "<li>Ask what happens when their asthma gets worse, and what they do now.</li>"
                "<li>Agree priorities together. NICE recommends shared decision-making throughout.</li></ul>"
                "<h2>What the review covers</h2>"
                "<ul><li>current control and the risk of future attacks</li>"
                "<li>inhaler technique and adherence</li>"
                "<li>treatment, in line with the current guideline</li>"
                "<li>triggers, smoking and second-hand smoke, and related conditions such as rhinitis</li>"
                "<li>whether the diagnosis was confirmed with an objective test</li>"
                "<li>the action plan: completed or updated with the person</li></ul>"
            ),
            details(
                "If the diagnosis was never confirmed",
                "<p>The 2024 guideline says not to confirm asthma without a suggestive history and a "
                "supporting objective test (such as FeNO, a blood eosinophil count, spirometry with "
                "bronchodilator reversibility, or peak flow variability), and to code “suspected "
                "asthma” until it is confirmed. If the record does not show how the diagnosis was made, "
                "consider whether testing is needed, following the guideline's diagnostic pathway for the "
                "person's age and your local services.</p>",
            ),
            inset(
                "<p>Adapt the review to the person: involve parents or carers of children, use "
                "interpreters and accessible information where needed, and allow more time for people "
                "who need it.</p>"
            ),
            check(
                "Which opening is most likely to lead to a plan the person will use?",
                [
                    ("“I need to go through the asthma template with you.”", False,
                     "This puts the template first. The template matters, but start from the person."),
                    ("“What would you most like to get out of today, and how is your asthma affecting you?”",
                     True,
                     "Yes. It invites the person's own goals and concerns, which the plan can then "
                     "address."),
                    ("“Your asthma looks fine, so this will be quick.”", False,
                     "This assumes good control before you have assessed it, and discourages the person "
                     "from raising problems."),
                ],
                explanation=(
                    "<p>Open questions about the person's goals and concerns make shared decisions, and a "
                    "plan they will use, more likely.</p>"
                ),
            ),
            reflect(
                "Think about your last three asthma reviews. Who set the agenda? What did each person want "
                "from the review, and did their plan reflect it?"
            ),
        ],
    },
    {
        "slug": "assessing-control",
        "title": "Assessing control",
        "summary": "Current symptoms, the risk of future attacks, and what the records tell you.",
        "weight": 2,
        "body": [
            text(
                "<p>Assess both <b>current control</b> (symptoms now) and <b>future risk</b> (the chance of "
                "an attack). A person can feel well and still be at high risk.</p>"
                "<h2>Current control</h2>"
                "<ul><li>Ask specific questions about recent weeks: daytime symptoms, waking at night, "
                "reliever use and limits on activity. A general question such as “How is your "
                "asthma?” often gets the answer “Fine”.</li>"
                "<li>In adults, consider a validated questionnaire such as the Asthma Control Questionnaire "
                "(ACQ) or the Asthma Control Test (ACT), so that assessments are consistent and can be "
                "compared over time.</li></ul>"
                "<h2>Future risk</h2>"
                "<ul><li><b>Attacks in the past year</b>: courses of oral steroids, A&amp;E or out-of-hours "
                "attendances and admissions. A previous attack is one of the strongest predictors of "
                "another.</li>"
                "<li><b>Prescription records</b>: how many reliever (SABA) inhalers were issued (three or "
                "more a year is a warning sign), and whether preventers were collected as prescribed.</li>"
                "<li><b>Smoking</b> and exposure to second-hand smoke.</li>"
                "<li><b>Other factors</b> the guideline names for risk stratification, such as psychosocial "
                "problems and repeated unscheduled care for asthma.</li></ul>"
                "<h2>Objective measures</h2>"
                "<p>Where they help, measure lung function (spirometry or peak flow). FeNO can help when "
                "someone has symptoms despite taking an inhaled steroid, for example by showing ongoing "
                "airway inflammation or raising the question of adherence.</p>"
            ),
            warning(
                "Record what you find",
                "<p>Record the control questionnaire score, the number of attacks and reliever use in the "
                "structured template, so the next person to review can see the trend.</p>",
            ),
            check(
                "Which of these suggest a higher risk of a future asthma attack?",
                [
                    ("Two courses of oral steroids for asthma in the past year", True,
                     "Yes. Previous attacks are among the strongest predictors of future attacks."),
                    ("Four reliever (SABA) inhalers issued in the past year", True,
                     "Yes. Three or more a year is linked with a higher risk of attacks."),
                    ("A preventer collected twice in a year when a monthly supply was prescribed", True,
                     "Yes. It suggests the preventer is not being used as prescribed; explore why."),
                    ("A good score on a validated control questionnaire today", False,
                     "A good score shows current symptoms are controlled, but it does not cancel out other "
                     "risk factors. Assess future risk as well."),
                ],
                kind="multiple",
                hint="Select all that apply.",
                explanation=(
                    "<p>Future risk comes from the history of attacks, reliever and preventer use, smoking "
                    "and other factors, not only from how the person feels today.</p>"
                ),
            ),
        ],
    },
    {
        "slug": "inhaler-technique-and-adherence",
        "title": "Inhaler technique and adherence",
        "summary": "Watching technique, choosing a device together, and talking about adherence.",
        "weight": 2,
        "body": [
            text(
                "<p>Poor inhaler technique and not taking treatment as prescribed are common reasons for "
                "poor control. Check both before changing treatment.</p>"
                "<h2>Checking technique</h2>"
                "<ul><li>Ask the person to show you how they use their own inhaler, with their spacer if "
                "they use one. Do not rely on a description.</li>"
                "<li>Check technique when treatment starts, when control is poor, when the device changes, "
                "and at every annual review.</li>"
                "<li>Correct one or two things at a time, then watch again.</li>"
                "<li>Choose, with the person, a device they can use well. Where options are equally "
                "suitable, include the environmental impact in the discussion: metered-dose inhalers that "
                "contain propellant have a higher carbon footprint than dry powder inhalers.</li></ul>"
            ),
            do_list(
                [
                    "watch the person use their own device",
                    "check the technique again after any change of device",
                    f'point people to trusted demonstration videos, such as those from <a href="{ASTHMA_LUNG_UK}">'
                    "Asthma + Lung UK</a>",
                ],
                label="When checking technique, do",
            ),
            dont_list(
                [
                    "switch someone's device without discussing it and checking they can use the new one",
                    "step up treatment before checking technique and adherence",
                ],
                label="When checking technique, don't",
            ),
            text(
                "<h2>Talking about adherence</h2>"
                "<p>Ask in a way that makes it easy to be honest, for example: “Many people find it hard "
                "to use a preventer every day. How often do you manage to use yours?” Compare the answer "
                "with prescription records, without blame. Explore the reasons together: not seeing the "
                "need when well, worries about side effects, forgetting, cost, or difficulty with the "
                "device.</p>"
            ),
            check(
                "A person's asthma is poorly controlled on their current treatment. What should you do "
                "before stepping up treatment?",
                [
                    ("Step up straight away: the current treatment is clearly not enough", False,
                     "Not yet. Poor technique or not using the treatment are common, fixable causes of "
                     "poor control."),
                    ("Check inhaler technique and adherence and ask about triggers, then decide together", True,
                     "Yes. Address these first, then agree with the person whether treatment needs to "
                     "change."),
                    ("Refer to a specialist", False,
                     "Referral has its place, but first check the common, fixable reasons for poor "
                     "control."),
                ],
                explanation=(
                    "<p>Before changing treatment for poor control, check inhaler technique, adherence "
                    "and triggers.</p>"
                ),
            ),
        ],
    },
    {
        "slug": "treatment-guideline",
        "title": "Treatment in line with the BTS/NICE/SIGN guideline",
        "summary": "AIR and MART with ICS/formoterol, stepping up, and moving people from older regimens.",
        "weight": 2,
        "body": [
            text(
                f'<p>The joint <a href="{NG245}">BTS/NICE/SIGN guideline on asthma</a> (NICE NG245, '
                "November 2024) replaced the separate UK guidelines. This section summarises its main "
                "points on treatment for people aged 12 and over. It is a summary for learning: check the "
                "guideline, the BNF and your local formulary before prescribing.</p>"
                "<h2>People aged 12 and over</h2>"
                "<ul><li><b>No SABA-only treatment.</b> Do not offer a short-acting beta-2 agonist (SABA) "
                "on its own to people with newly diagnosed asthma.</li>"
                "<li><b>As-needed anti-inflammatory reliever (AIR) therapy.</b> Offer a low-dose inhaled "
                "corticosteroid (ICS)/formoterol combination inhaler, used as needed to relieve "
                "symptoms.</li>"
                "<li><b>Maintenance and reliever therapy (MART).</b> If asthma is not controlled on AIR, "
                "offer low-dose MART: the same ICS/formoterol inhaler used every day and also as needed. "
                "People who are very symptomatic when they present (for example, waking regularly at "
                "night) or who present with a severe exacerbation can start on low-dose MART.</li>"
                "<li><b>Stepping up.</b> If asthma is not controlled on low-dose MART, offer "
                "moderate-dose MART. If it is still not controlled despite good adherence and technique, "
                "check FeNO and blood eosinophils if available: refer to a specialist if either is raised; "
                "if not, consider a trial of a leukotriene receptor antagonist (LTRA) or a long-acting "
                "muscarinic antagonist (LAMA) for 8 to 12 weeks, and refer if asthma remains "
                "uncontrolled.</li>"
                "<li><b>Moving people from older regimens.</b> People on a SABA alone can move to "
                "as-needed AIR; people on regular ICS or ICS/LABA with a SABA reliever can move to MART "
                "at a comparable dose, particularly if their asthma is not controlled. Refer people whose "
                "asthma is not controlled on high-dose ICS. Discuss any change with the person and check "
                "they can use the new inhaler.</li></ul>"
                "<h2>Children</h2>"
                "<p>Treatment pathways for children aged 5 to 11 and under 5 are different, and not every "
                "ICS/formoterol product is licensed for younger ages. Follow the guideline's sections for "
                "each age group, and involve colleagues experienced in children's asthma.</p>"
            ),
            warning(
                "A new treatment needs a new plan",
                "<p>When someone moves to AIR or MART, their ICS/formoterol inhaler becomes their "
                "reliever, and they usually no longer need a separate SABA. Explain this clearly, agree "
                "the most they should use in a day as set out for their product, say when to seek help, "
                "and update their action plan the same day.</p>",
            ),
            check(
                "A 34-year-old with newly diagnosed asthma, confirmed by an objective test, has occasional "
                "symptoms. What does the 2024 guideline recommend as their first treatment?",
                [
                    ("A SABA inhaler to use as needed", False,
                     "SABA-only treatment is no longer recommended for people aged 12 and over."),
                    ("A low-dose ICS/formoterol inhaler used as needed (AIR)", True,
                     "Yes. As-needed AIR is the recommended starting treatment for newly diagnosed "
                     "asthma in people aged 12 and over."),
                    ("Regular low-dose ICS with a SABA reliever", False,
                     "This was the usual first step under earlier guidelines; the 2024 guideline "
                     "recommends as-needed AIR."),
                    ("Moderate-dose MART", False,
                     "This is a later step, for asthma not controlled on low-dose MART."),
                ],
                explanation=(
                    "<p>For people aged 12 and over with newly diagnosed asthma, the guideline recommends "
                    "as-needed low-dose ICS/formoterol (AIR), or low-dose MART for people who are very "
                    "symptomatic or present with a severe exacerbation.</p>"
                ),
            ),
            check(
                "Someone's asthma is not controlled on low-dose MART. Which are appropriate next steps?",
                [
                    ("Check inhaler technique and adherence", True,
                     "Yes. Always check these before stepping up."),
                    ("Offer moderate-dose MART if technique and adherence are good", True,
                     "Yes. This is the next step in the guideline."),
                    ("Add a separate SABA inhaler for extra relief", False,
                     "No. On MART the ICS/formoterol inhaler is the reliever."),
                    ("Stop the ICS/formoterol and go back to a SABA alone", False,
                     "No. SABA-only treatment is not recommended and would remove the anti-inflammatory "
                     "treatment."),
                ],
                kind="multiple",
                hint="Select all that apply.",
            ),
        ],
    },
    {
        "slug": "completing-the-action-plan",
        "title": "Completing the action plan with the patient",
        "summary": "What the plan includes, writing it together, and checking it is understood.",
        "weight": 2,
        "body": [
            text(
                "<p>The action plan is what the person takes away from the review. Complete it with them, "
                "in their words where possible, and check they understand it.</p>"
                "<h2>What the plan includes</h2>"
                "<ul><li><b>Usual treatment</b>: the names and colours of their inhalers, doses and how to "
                "use them, whether they use AIR, MART or a preventer with a separate reliever.</li>"
                "<li><b>Signs that their asthma is getting worse</b>, in terms they recognise: symptoms, "
                "needing their reliever more often, and peak flow readings if they use a peak flow meter "
                "(record their best reading and the agreed action points).</li>"
                "<li><b>What to do when it gets worse</b>: the agreed change to their treatment and when to "
                "contact the practice.</li>"
                "<li><b>What to do in an asthma attack</b> and when to call 999.</li>"
                "<li><b>Contact details</b> and the date of their next review.</li></ul>"
            ),
            inset(
                "<p>Use a recognised template, such as the action plans from Asthma + Lung UK, which have "
                "versions for different treatments (including MART) and for children. The demonstration "
                "plan below only shows a layout: it is not a clinical document.</p>"
            ),
            resource(
                "the demonstration asthma action plan",
                "action_plan",
                "An example layout, watermarked “Demonstration material”. Not for use with patients.",
            ),
            text(
                "<h2>Check understanding</h2>"
                "<p>Ask the person to tell you, in their own words, what they would do if their asthma got "
                "worse (“teach-back”). Agree where they will keep the plan, for example on paper or as a "
                "photo on their phone, and record that the plan was given or updated.</p>"
            ),
            check(
                "Which of these help make sure an action plan is used?",
                [
                    ("Writing it with the person, using their own words for their symptoms", True,
                     "Yes. A plan the person helped to write makes sense to them."),
                    ("Asking them to explain back what they would do if their asthma got worse", True,
                     "Yes. Teach-back shows whether the plan has been understood."),
                    ("Posting a standard plan after the review without discussing it", False,
                     "No. A plan that was not discussed is rarely understood or used."),
                    ("Updating it whenever their treatment changes", True,
                     "Yes. An out-of-date plan can give the wrong instructions."),
                ],
                kind="multiple",
                hint="Select all that apply.",
            ),
            reflect(
                "How often do your reviews end with a completed or updated action plan? What gets in the "
                "way, and what one change would help?"
            ),
        ],
    },
    {
        "slug": "after-an-attack",
        "title": "After an asthma attack",
        "summary": "Follow-up within 2 working days and what the review after an attack covers.",
        "weight": 1,
        "body": [
            text(
                "<p>An asthma attack is a sign that something needs to change, and the weeks after an "
                "attack carry a higher risk of another.</p>"
            ),
            warning(
                "Follow up within 2 working days",
                "<p>People treated in an emergency care setting for an asthma attack should be followed up "
                "by their general practice within 2 working days of discharge "
                f'(<a href="{QS25}">NICE quality standard QS25</a>).</p>',
            ),
            text(
                "<h2>The review after an attack</h2>"
                "<ul><li>Ask what happened and what led up to it: infections, triggers, running out of "
                "medicines, not using a preventer.</li>"
                "<li>Check they are recovering: symptoms, reliever use and any treatment they were given, "
                "such as a course of oral steroids.</li>"
                "<li>Check inhaler technique and adherence.</li>"
                "<li>Review their treatment in line with the guideline: an attack suggests their asthma "
                "was not controlled.</li>"
                "<li>Update the action plan, including how to act earlier next time.</li>"
                "<li>Consider referral to a specialist, for example after repeated attacks or frequent "
                "courses of oral steroids, in line with local pathways.</li>"
                "<li>Arrange further follow-up.</li></ul>"
            ),
            inset(
                "<p>The National Review of Asthma Deaths (Royal College of Physicians, 2014) found factors "
                "that might have been avoided in many of the deaths it studied, including heavy use of "
                "reliever inhalers, too little use of preventers, and lack of follow-up after attacks and "
                "of personalised action plans.</p>"
            ),
            check(
                "A patient was treated in A&E for an asthma attack on Friday evening and sent home the same "
                "night. When should the practice follow them up?",
                [
                    ("At their next annual review", False,
                     "Too late. The weeks after an attack carry a higher risk of another."),
                    ("Within 2 working days of discharge: by the end of Tuesday", True,
                     "Yes, unless Monday or Tuesday is a bank holiday."),
                    ("Only if the patient contacts the practice", False,
                     "No. The practice should contact the person; many people do not know they should "
                     "ask."),
                    ("Within 2 weeks", False,
                     "The quality standard is 2 working days."),
                ],
                explanation=(
                    "<p>NICE quality standard QS25: follow-up by the general practice within 2 working days "
                    "of discharge from emergency care for an asthma attack.</p>"
                ),
            ),
        ],
    },
    {
        "slug": "remote-reviews",
        "title": "Remote reviews",
        "summary": "When a telephone or video review works, and when to see the person face to face.",
        "weight": 1,
        "body": [
            text(
                "<p>Telephone and video reviews suit many people, but not everyone and not every "
                "review.</p>"
                "<h2>When a remote review can work</h2>"
                "<ul><li>The person's asthma has been stable, with no recent attacks.</li>"
                "<li>They prefer it, for example because of work or caring responsibilities.</li>"
                "<li>Inhaler technique can be watched on video, or was checked recently in person.</li></ul>"
                "<h2>When to see the person face to face</h2>"
                "<ul><li>After a recent attack, when control is poor, or when you are worried.</li>"
                "<li>When objective tests are needed, such as spirometry or FeNO.</li>"
                "<li>When inhaler technique cannot be seen remotely, or a new device is started.</li>"
                "<li>When talking by phone is difficult, for example because of hearing or language.</li></ul>"
            ),
            do_list(
                [
                    "check you are speaking to the right person and that they can talk privately",
                    "ask them to have their inhalers, spacer and peak flow meter (if they have one) to hand",
                    "send the updated action plan afterwards in a form they can keep",
                    "record that the review was remote and what was not assessed",
                ],
                label="In a remote review, do",
                heading_level=2,
            ),
            dont_list(
                [
                    "let a remote review skip the action plan",
                    "assume good inhaler technique without seeing it",
                ],
                label="In a remote review, don't",
                heading_level=2,
            ),
            reflect(
                "Which of the people with asthma you review would be better seen face to face rather than "
                "remotely, and why?"
            ),
        ],
    },
]


MODULES: list[dict[str, Any]] = [
    {
        "title": "Asthma self-management: the practice team's part",
        "slug": "team",
        "kind": "team",
        "summary": (
            "For everyone in the practice: why supported self-management matters, what an asthma action "
            "plan is, and what each role can do to make reviews and plans routine."
        ),
        "introduction": (
            "<p>This short module is for the whole practice team: reception and administrative staff, "
            "practice managers, healthcare assistants, nurses, pharmacists, physician associates and GPs. "
            "It takes about 30 minutes.</p>" + DEMO_NOTICE
        ),
        "audience_roles": list(PracticeRole.values),
        "estimated_minutes": 30,
        "cpd_hours": "0.50",
        "completion_threshold": 80,
        "pass_mark": None,
        "sections": TEAM_SECTIONS,
    },
    {
        "title": "Asthma reviews and action plans: in depth",
        "slug": "in-depth",
        "kind": "in_depth",
        "summary": (
            "For clinicians who run asthma reviews: the patient-centred review, assessing control, inhaler "
            "technique, treatment under the 2024 guideline, and completing an action plan with the patient."
        ),
        "introduction": (
            "<p>This module is for the clinicians who run asthma reviews: GPs, practice nurses, advanced "
            "nurse practitioners, clinical pharmacists and physician associates. It takes about 90 minutes, "
            "with knowledge checks in most sections; to complete it you need to undertake at least 80% of "
            "the content and answer at least 70% of the questions correctly.</p>" + DEMO_NOTICE
        ),
        "audience_roles": [
            PracticeRole.GP.value,
            PracticeRole.PRACTICE_NURSE.value,
            PracticeRole.ADVANCED_NURSE_PRACTITIONER.value,
            PracticeRole.CLINICAL_PHARMACIST.value,
            PracticeRole.PHYSICIAN_ASSOCIATE.value,
        ],
        "estimated_minutes": 90,
        "cpd_hours": "1.50",
        "completion_threshold": 80,
        "pass_mark": 70,
        "sections": IN_DEPTH_SECTIONS,
    },
]
