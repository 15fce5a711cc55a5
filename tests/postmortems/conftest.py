# Action items link to DR plans and drills: the DR tests' fixtures serve here too.
from tests.dr_plans.conftest import admin_actor, plan, plan_drill  # noqa: F401
