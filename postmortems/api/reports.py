"""The reports API: read-only, for anyone who may read incidents (viewers too).

GET /api/v1/reports/ gives every table of the report; GET /api/v1/reports/<table>/ one table,
as JSON or, with ?format=csv (or Accept: text/csv), as the same CSV the page offers.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from postmortems.reports import TABLE_KEYS, Period, PeriodError, Report, build
from vigil.api.permissions import action_permission

CAN_READ = action_permission("incidents.view_incident")


class ReportPeriodQuerySerializer(serializers.Serializer):
    days = serializers.ChoiceField(choices=[30, 90, 365], required=False, help_text="The last N days (default 90).")
    to = serializers.DateField(required=False, help_text="Last day of the period, with `from` (viewer's time zone).")

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword: declared here so the parameter keeps its name.
        fields["from"] = serializers.DateField(required=False, help_text="First day of the period, with `to`.")
        return fields


class ReportPeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    days = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()


class ReportDurationsSerializer(serializers.Serializer):
    incidents = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    resolved = serializers.IntegerField()
    mtta_minutes = serializers.FloatField(allow_null=True)
    mttr_minutes = serializers.FloatField(allow_null=True)


class ReportMonthSerializer(ReportDurationsSerializer):
    month = serializers.CharField(help_text="YYYY-MM, in the viewer's time zone.")


class ReportSeveritySerializer(ReportDurationsSerializer):
    severity = serializers.CharField()


class ReportComponentCountSerializer(serializers.Serializer):
    component = serializers.CharField()
    incidents = serializers.IntegerField()


class ReportSourceCountSerializer(serializers.Serializer):
    source = serializers.CharField()
    incidents = serializers.IntegerField()


class ReportNoisyMonitorSerializer(serializers.Serializer):
    monitor = serializers.CharField()
    downs = serializers.IntegerField()
    incidents = serializers.IntegerField()


class ReportNoisyAlertSerializer(serializers.Serializer):
    alert = serializers.CharField()
    integration = serializers.CharField()
    firings = serializers.IntegerField()
    received = serializers.IntegerField()


class ReportActionItemOutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    items = serializers.IntegerField()


class ReportUptimeSerializer(serializers.Serializer):
    component = serializers.CharField()
    slo_pct = serializers.FloatField()

    def get_fields(self):
        fields = super().get_fields()
        for days in (30, 90):
            for name in ("uptime_{}d_pct", "downtime_{}d_minutes", "budget_{}d_minutes", "budget_left_{}d_minutes"):
                fields[name.format(days)] = serializers.FloatField(allow_null=True)
            fields[f"budget_left_{days}d_pct"] = serializers.FloatField(allow_null=True)
        return fields


class ReportSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    generated_at = serializers.DateTimeField()
    summary = ReportDurationsSerializer()
    monthly = ReportMonthSerializer(many=True)
    severity = ReportSeveritySerializer(many=True)
    components = ReportComponentCountSerializer(many=True)
    sources = ReportSourceCountSerializer(many=True)
    monitors = ReportNoisyMonitorSerializer(many=True)
    alerts = ReportNoisyAlertSerializer(many=True)
    action_items = ReportActionItemOutcomeSerializer(many=True)
    uptime = ReportUptimeSerializer(many=True)


class ReportColumnSerializer(serializers.Serializer):
    field = serializers.CharField()
    heading = serializers.CharField()


class ReportTableSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    generated_at = serializers.DateTimeField()
    key = serializers.ChoiceField(choices=TABLE_KEYS)
    title = serializers.CharField()
    columns = ReportColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField(), help_text="One object per row, keyed by column field.")


def _period(request) -> Period:
    try:
        return Period.from_query(request.query_params)
    except PeriodError as error:
        raise exceptions.ValidationError({"period": [str(error)]}) from None


def _period_data(report: Report) -> dict:
    period = report.period
    return {"start": period.start, "end": period.end, "days": period.days, "label": period.label}


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.table.as_csv().encode()  # errors are rendered as JSON (ReportTableView.handle_exception)


class TableData(dict):
    """The JSON of one table, carrying the Table itself for the CSV renderer."""

    def __init__(self, table, payload):
        super().__init__(payload)
        self.table = table


@extend_validation_errors(["invalid"], field_name="period", methods=["get"])
class ReportView(APIView):
    """Every table of the report for the period: MTTA and MTTR per month and severity, incidents by severity,
    component and source, the noisiest monitors and alerts, action items by outcome, and uptime against each
    component's SLO with its error budget. Computed in the database: a fixed number of queries."""

    permission_classes = [CAN_READ]

    @extend_schema(
        operation_id="reports_retrieve", parameters=[ReportPeriodQuerySerializer], responses=ReportSerializer
    )
    def get(self, request):
        report = build(_period(request))
        data = {key: table.rows for key, table in report.tables.items()}
        data["summary"] = data["summary"][0]
        return Response({"period": _period_data(report), "generated_at": report.generated_at, **data})


@extend_validation_errors(["invalid"], field_name="period", methods=["get"])
class ReportTableView(APIView):
    """One table of the report, as JSON or CSV (`?format=csv`)."""

    permission_classes = [CAN_READ]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        # Errors are JSON, as the schema documents them, whatever format was asked for.
        self.request.accepted_renderer, self.request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return response

    @extend_schema(
        operation_id="reports_table_retrieve",
        parameters=[
            ReportPeriodQuerySerializer,
            OpenApiParameter("table", OpenApiTypes.STR, OpenApiParameter.PATH, enum=TABLE_KEYS),
        ],
        responses={(200, "application/json"): ReportTableSerializer, (200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request, table):
        if table not in TABLE_KEYS:
            raise exceptions.NotFound(f"No report table “{table}”; the tables are {', '.join(TABLE_KEYS)}.")
        report = build(_period(request), only=[table])
        found = report[table]
        payload = {
            "period": _period_data(report),
            "generated_at": report.generated_at,
            "key": found.key,
            "title": found.title,
            "columns": [{"field": name, "heading": heading} for name, heading in found.columns],
            "rows": found.rows,
        }
        response = Response(TableData(found, payload))
        if request.accepted_renderer.format == "csv":
            name = f"vigil-{table}-{report.period.first_day}-{report.period.last_day}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
