"""Reads about what learners did, one module per question and audience.

- learner.py: a learner's own state in modules (module and section pages, "My modules").
- record.py: a learner's own learning record and its CSV events.
- practice.py: a practice lead's view of their current staff by module.
- uptake.py: the trial's uptake per practice and per arm (reports, the research API).
Who may open a module is learning/access.py; the measure rules are learning/measures.py.
"""
