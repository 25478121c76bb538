"""Reads of the insight app, by what they read: the scope and the counts every figure is
made of (``counts``), the message statistics and costs (``statistics``), survey answers
(``survey_answers``), goals (``goals``) and all of them at once, as tables (``report``)."""
