from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Goal(models.Model):
    """A measurable target a designer sets on a communication; the dashboard shows progress."""

    class Metric(models.TextChoices):
        DELIVERED_RATE = "delivered_rate", _("Delivered rate (%)")
        OPENED_RATE = "opened_rate", _("Opened rate (%)")
        CLICKED_RATE = "clicked_rate", _("Clicked rate (%)")
        LINK_CLICKS = "link_clicks", _("Customers who clicked a tracked link")
        SURVEY_ANSWERS = "survey_answers", _("Survey answers")

    RATE_METRICS = (Metric.DELIVERED_RATE, Metric.OPENED_RATE, Metric.CLICKED_RATE)

    communication = models.ForeignKey(
        "templates_store.Communication", on_delete=models.CASCADE, related_name="goals"
    )
    name = models.CharField(_("name"), max_length=200)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    target = models.DecimalField(
        _("target"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("A percentage for rates, a number for counts."),
    )
    within_days = models.PositiveSmallIntegerField(
        _("within days"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Rates count events within this many days of sending."),
    )
    link = models.CharField(
        _("tracked link"),
        max_length=500,
        blank=True,
        help_text=_("Name or URL of the tracked link (for link clicks)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["communication", "created_at"]
        permissions = [
            ("view_insight", "Can see insight figures, goals and survey results"),
            ("manage_insight", "Can set goals and surveys on communications"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(metric="link_clicks") | ~Q(link=""), name="goal_link_clicks_has_link"
            ),
            models.CheckConstraint(
                condition=~Q(metric__in=["delivered_rate", "opened_rate", "clicked_rate"])
                | Q(target__lte=100),
                name="goal_rate_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rate(self) -> bool:
        return self.metric in self.RATE_METRICS


class Survey(models.Model):
    """A one-question survey a communication carries (CSAT 1-5 or NPS 0-10)."""

    class Kind(models.TextChoices):
        CSAT = "csat", _("Satisfaction (CSAT, 1-5)")
        NPS = "nps", _("Recommendation (NPS, 0-10)")

    communication = models.OneToOneField(
        "templates_store.Communication", on_delete=models.CASCADE, related_name="survey"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    question = models.CharField(
        _("question"),
        max_length=300,
        blank=True,
        help_text=_("Shown on the answer page; empty for the standard question."),
    )
    ask_comment = models.BooleanField(_("ask for a comment"), default=True)
    # Set when the designer stops asking: links then record nothing, answers stay.
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.communication_id}"

    @property
    def scores(self) -> range:
        return range(1, 6) if self.kind == self.Kind.CSAT else range(0, 11)


class SurveyAnswer(models.Model):
    """One customer's answer about one message; answering again replaces it."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    message = models.OneToOneField(
        "channels.Message", on_delete=models.PROTECT, related_name="survey_answer"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_answers",
    )
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    comment = models.TextField(blank=True, max_length=2000)
    answered_at = models.DateTimeField()
    # How many times the customer answered (the last answer is kept).
    times_answered = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-answered_at"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=10), name="survey_score_at_most_10"),
        ]

    def __str__(self) -> str:
        return f"{self.score} for message {self.message_id}"
