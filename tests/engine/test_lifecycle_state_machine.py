"""The lifecycle (rollouts/engine/lifecycle.py) as a state machine, against everything that
asks it: the engine, the services behind people's actions, the rollout page, the REST API and
the dashboard's query form.

Hypothesis interleaves, on one rollout of a 3-stage plan (tag canary, groups TestGroup1, all;
approval on stages 2 and 3; four-eyes on in some runs) started by one of two release managers:
- people's actions by either manager (approve, pause, resume, abort, retry failed, accept a
  shortfall, send again, it was sent, edit a pending stage's success threshold): each succeeds
  if and only if `allowed_actions(user=that manager)` held the action just before;
- engine steps (`rollout_advance`, in-process) against a real simulator over HTTP; faults
  queued for the next call(s) the engine makes (500 with or without apply, 500 until the
  attempts run out, timeout with or without apply, 429); a group Upswift no longer knows (its
  calls get a 400); failure rates on the canary tag or the whole fleet;
- time: the simulator's clock and the console's (time_machine, frozen, shifted in step: one
  console "minute" is ROLLOUT_SOAK_MINUTE_SECONDS = 1 s) move together, or the console's alone
  jumps past the open stage's deadline (time_machine; no row is edited). Each move ends with a
  reconcile tick (an engine step).
After every step the invariants (1)-(6) are checked from fresh rows; (2b) after each tick.
The sequences Hypothesis found and shrank (KNOWN_SEQUENCES) are replayed before the search.

One simulator serves every example; each example resets it, the cache (API budget) and the
rows it made (users are made once per test).
"""

import html as html_lib
import re
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, currently_in_test_context, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from rollouts.api import selectors as api_selectors
from rollouts.api.serializers import RolloutSerializer
from rollouts.engine import lifecycle
from rollouts.engine.budget import budget_status
from rollouts.engine.client import upswift_client
from rollouts.engine.lifecycle import Action, Awaiting
from rollouts.engine.steps import rollout_advance
from rollouts.models import (
    FINISHED_ROLLOUT_STATUSES,
    PauseCause,
    Plan,
    Rollout,
    RolloutStatus,
    StageStatus,
)
from rollouts.roles import RELEASE_MANAGER, VIEWER
from rollouts.selectors.approvals import stages_awaiting_approval, stages_waiting
from rollouts.selectors.rollouts import rollout_page
from rollouts.services.actions import (
    rollout_abort,
    rollout_create,
    rollout_pause,
    rollout_resume,
    rollout_start,
    stage_accept_shortfall,
    stage_approve,
    stage_deploy_confirm,
    stage_deploy_resend,
    stage_retry_failed,
)
from rollouts.services.errors import ActionRefused
from rollouts.services.events import TransitionConflict
from rollouts.services.plans import plan_create
from rollouts.services.stage_edits import rollout_stage_edit
from rollouts.services.timezones import local_text
from tests.factories import UserFactory
from tests.support.roles import user_with_role
from upswift_simulator.testing import running_simulator

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = "Demo"
APP_VERSION = "v9.9"
MINUTE_SECONDS = 1.0  # ROLLOUT_SOAK_MINUTE_SECONDS: a console minute is one (frozen) second
DEADLINE_MINUTES = 20
MAX_ATTEMPTS = 3
CLIENT_TIMEOUT = 0.5  # UPSWIFT_TIMEOUT_SECONDS; a timeout fault hangs longer than this
TIMEOUT_FAULT_DELAY = 1.0
START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # the console's clock at each example's start
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
REFUSED = (ActionRefused, TransitionConflict, ValidationError)

PERSON_ACTIONS = (
    Action.APPROVE,
    Action.PAUSE,
    Action.RESUME,
    Action.ABORT,
    Action.RETRY_FAILED,
    Action.ACCEPT_SHORTFALL,
    Action.SEND_AGAIN,
    Action.CONFIRM_SENT,
)
# The page's form for each action (relative to /rollouts/<pk>/); retry has one per stage.
FORM_OF = {
    Action.APPROVE: "approve/",
    Action.PAUSE: "pause/",
    Action.RESUME: "resume/",
    Action.ABORT: "abort/",
    Action.ACCEPT_SHORTFALL: "accept-shortfall/",
    Action.SEND_AGAIN: "send-again/",
    Action.CONFIRM_SENT: "confirm-sent/",
}
WHO = st.sampled_from(["starter", "other"])
TEXT = st.sampled_from(["checked the dashboards", ""])  # a comment or reason (may be blank)
FAULTS = (  # kind, apply (the call is carried out before the error), count
    ("error_500", False, 1),
    ("error_500", True, 1),
    ("error_500", False, MAX_ATTEMPTS),
    ("timeout", True, 1),
    ("timeout", False, 1),
    ("rate_limit", False, 1),
)
TIME_STEPS = (1, 5, 30)  # minutes on both clocks
PAST_DEADLINE = "console clock past the deadline"
HEAD_STARTS = ("none", "stage 1 deployed", "stage 1 done", "stage 2 deployed", "stage 2 done")


def page_text(markup: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def expected_waiting_line(waiting: lifecycle.Waiting, cause_label: str) -> str | None:
    """What _waiting.html says for `waiting`, in words (None: no line)."""
    if waiting.kind == Awaiting.NOTHING:
        return None
    position = waiting.stage.position if waiting.stage else None
    when = local_text(waiting.until, "M j, H:i") if waiting.until else ""  # "Jan 7, 09:01 UTC"
    if waiting.kind == Awaiting.APPROVAL:
        text = f"approval of stage {position}"
    elif waiting.kind == Awaiting.DEPLOY:
        text = f"deploy of stage {position}"
    elif waiting.kind == Awaiting.DEVICES:
        text = f"devices of stage {position}" + (f" until the deadline, {when}" if when else "")
    elif waiting.kind == Awaiting.SOAK:
        text = f"soak of stage {position}" + (f" until {when}" if when else "")
    elif waiting.kind == Awaiting.SCHEDULE:
        text = "the scheduled start" + (f", {when}" if when else "")
    elif waiting.kind == Awaiting.FREEZE:
        held = "the kill switch to be released" if waiting.cause == "kill_switch" else None
        text = f"{held or 'the end of a freeze window'}: {waiting.sentence}"
    else:
        text = f"a person: {waiting.sentence or cause_label}"
    return " ".join(f"Waiting for: {text}".split())


class LifecycleMachine(RuleBasedStateMachine):
    # Set by the test: the simulator handle and the users (made once per test).
    sim = None
    users: dict = {}
    clients: dict = {}  # starter's and other's browsers, signed in once

    def __init__(self) -> None:
        super().__init__()
        self.sim.reset()
        cache.clear()  # a fresh API budget, no 429 cool-down left from another example
        self.traveller = time_machine.travel(START, tick=False)
        self.clock = self.traveller.start()
        self.rollout_id: int | None = None
        self.resent: set[int] = set()  # stages a person chose to deploy again (retry, resend)
        self.group_deleted = False

    def teardown(self) -> None:
        try:
            if self.rollout_id is not None:
                self.sim.clear_faults()
                self.check_no_device_deployed_twice_by_a_stage(*self.fresh())
        finally:
            self.cleanup()

    def cleanup(self) -> None:
        try:
            Rollout.objects.all().delete()
            Plan.objects.all().delete()
            self.sim.clear_faults()
        finally:
            self.traveller.stop()

    # --- reading fresh rows ----------------------------------------------------------------
    def fresh(self) -> tuple[Rollout, list]:
        rollout = Rollout.objects.get(pk=self.rollout_id)
        return rollout, list(rollout.stages.order_by("position"))

    def allowed(self, who: str) -> frozenset:
        rollout, stages = self.fresh()
        return lifecycle.allowed_actions(rollout=rollout, stages=stages, user=self.users[who])

    # --- setup ------------------------------------------------------------------------------
    @initialize(
        four_eyes=st.booleans(),
        soak=st.sampled_from([0, 5]),
        head_start=st.sampled_from(HEAD_STARTS),
    )
    def start(self, four_eyes: bool, soak: int, head_start: str) -> None:
        """The starter starts a rollout of the 3-stage plan. With a head start, the engine
        and time (the same real steps as the rules below) take it further first."""
        starter = self.users["starter"]
        common = {"deadline_minutes": DEADLINE_MINUTES}
        plan = plan_create(
            name=f"Lifecycle {uuid.uuid4().hex[:8]}",
            project=PROJECT,
            require_different_approver=four_eyes,
            stages=[
                {"target": "tag", "tag": "canary", "approval_required": False, "soak_minutes": soak}
                | common,
                {"target": "groups", "groups": ["TestGroup1"], "approval_required": True} | common,
                {"target": "all", "approval_required": True} | common,
            ],
            # Only an admin sets the four-eyes flag (rollouts/services/plans.py).
            actor=UserFactory(username="plan-admin", is_superuser=True) if four_eyes else starter,
        )
        rollout = rollout_create(
            plan=plan, flow_id="73a7-1ft8", app_name="default_app", app_version=APP_VERSION,
            comment="state machine", actor=starter,
        )  # fmt: skip
        rollout_start(rollout=rollout, actor=starter)
        self.rollout_id = rollout.pk
        if four_eyes:  # stage 1 waits for a second person too
            stage_approve(rollout=rollout, actor=self.users["other"], comment="build checked")
        if head_start != "none":
            self.engine_step()  # stage 1 deployed, its devices pending
        if head_start in ("stage 1 done", "stage 2 deployed", "stage 2 done"):
            for _ in range(2):  # its devices finish, then any soak: stage 2 awaits approval
                self.time_passes(TIME_STEPS[-1])
        if head_start in ("stage 2 deployed", "stage 2 done"):
            stage_approve(rollout=rollout, actor=self.users["other"], comment="canary is fine")
            self.engine_step()  # stage 2 deployed, its devices pending
        if head_start == "stage 2 done":
            self.time_passes(TIME_STEPS[-1])  # its devices finish: stage 3 awaits approval

    # --- people -----------------------------------------------------------------------------
    @rule(who=WHO, action=st.sampled_from(PERSON_ACTIONS), text=TEXT)
    def person_tries(self, who: str, action: str, text: str) -> None:
        """Either manager tries any action, offered or not."""
        self.attempt(who, action, text)

    @rule(who=WHO, pick=st.integers(0, len(PERSON_ACTIONS) - 1), text=TEXT)
    def person_does_what_is_offered(self, who: str, pick: int, text: str) -> None:
        """Either manager takes one of the actions their page offers, abort aside (it ends
        the example; person_tries aborts often enough)."""
        offered = sorted(self.allowed(who) & set(PERSON_ACTIONS) - {Action.ABORT})
        if offered:
            self.attempt(who, offered[pick % len(offered)], text)

    def attempt(self, who: str, action: str, text: str) -> None:
        """The action succeeds iff the lifecycle offered it to that manager just before."""
        if currently_in_test_context():  # not in a replayed sequence (see KNOWN_SEQUENCES)
            note(f"{who} tries {action}")
        allowed = self.allowed(who)
        rollout, stages = self.fresh()
        current = lifecycle.stage_current(stages)
        actor = self.users[who]
        try:
            if action == Action.APPROVE:
                # A comment is required under four-eyes or after a shortfall: always give one.
                stage_approve(rollout=rollout, actor=actor, comment=text or "approved")
            elif action == Action.PAUSE:
                rollout_pause(rollout=rollout, actor=actor, reason=text)
            elif action == Action.RESUME:
                rollout_resume(rollout=rollout, actor=actor, reason=text)
            elif action == Action.ABORT:
                rollout_abort(rollout=rollout, actor=actor, reason="stopping the release")
            elif action == Action.RETRY_FAILED:
                target = current or stages[-1]
                stage_retry_failed(rollout=rollout, stage=target, actor=actor)
            elif action == Action.ACCEPT_SHORTFALL:
                stage_accept_shortfall(rollout=rollout, actor=actor, reason="good enough")
            elif action == Action.SEND_AGAIN:
                stage_deploy_resend(rollout=rollout, actor=actor, reason=text)
            elif action == Action.CONFIRM_SENT:
                stage_deploy_confirm(rollout=rollout, actor=actor, reason=text)
        except REFUSED as exc:
            assert action not in allowed, (
                f"{who} was offered {action} ({sorted(allowed)}) but it was refused: {exc!r}"
            )
            return
        assert action in allowed, f"{who} was not offered {action} ({sorted(allowed)}) yet it ran"
        if action == Action.RETRY_FAILED:
            self.resent.add((current or stages[-1]).position)
        elif action == Action.SEND_AGAIN:
            self.resent.add(current.position)

    @rule(who=WHO, position=st.sampled_from([1, 2, 3]), threshold=st.sampled_from([0, 60, 100]))
    def person_edits_stage(self, who: str, position: int, threshold: int) -> None:
        allowed = self.allowed(who)
        rollout, stages = self.fresh()
        pending = stages[position - 1].status == StageStatus.PENDING
        expected = Action.EDIT_STAGES in allowed and pending
        try:
            rollout_stage_edit(
                rollout=rollout,
                position=position,
                changes={"success_threshold": threshold},
                actor=self.users[who],
            )
        except REFUSED as exc:
            assert not expected, f"edit of stage {position} refused ({sorted(allowed)}): {exc!r}"
            return
        assert expected, f"edit of stage {position} ran; offered {sorted(allowed)}, {pending=}"

    # --- the engine, Upswift and time -------------------------------------------------------
    def engine_step(self) -> None:
        """One reconcile tick: rollout_advance in-process, against the simulator."""
        before, before_stages = self.fresh()
        all_done = all(s.status in lifecycle.DONE_STAGE_STATUSES for s in before_stages)
        clean = not self.faults_queued() and not self.cooling_down()
        assert rollout_advance(rollout_id=self.rollout_id), "the lease was free"
        after, stages = self.fresh()
        if before.status == RolloutStatus.RUNNING and all_done:  # (2): then it completes
            assert after.status == RolloutStatus.COMPLETED, (
                f"every stage was done yet the step left the rollout {after.status}"
            )
        if clean and not self.cooling_down():
            self.check_nothing_waits_past_its_deadline(after, stages)

    def check_nothing_waits_past_its_deadline(self, rollout, stages) -> None:
        """(2b) After a tick with no injected fault and no 429 cool-down, a running rollout
        does not wait for devices past the stage's deadline: the tick asked a person."""
        waiting = lifecycle.rollout_waiting(rollout=rollout, stages=stages)
        if rollout.status == RolloutStatus.RUNNING and waiting.kind == Awaiting.DEVICES:
            assert waiting.until is None or waiting.until > timezone.now(), (
                f"running, waiting for the devices of stage {waiting.stage.position} until "
                f"{waiting.until:%H:%M:%S}, now {timezone.now():%H:%M:%S}: nobody is asked"
            )

    def faults_queued(self) -> bool:
        queued = self.sim.session.get(f"{self.sim.root_url}/_sim/faults", timeout=10)
        return bool(queued.json()["faults"])

    @staticmethod
    def cooling_down() -> bool:
        """The API budget's cool-down after a 429 (the console's clock): reads wait for it."""
        return budget_status()["cooldown_seconds"] > 0

    @rule()
    def engine_steps(self) -> None:
        self.engine_step()

    @rule(fault=st.sampled_from(FAULTS))
    def upswift_will_fail(self, fault: tuple) -> None:
        """The next API call(s) the engine makes fail (whatever they are: a deploy, a read)."""
        kind, apply, count = fault
        delay = TIMEOUT_FAULT_DELAY if kind == "timeout" else None
        self.sim.fault(kind, count=count, delay=delay, apply=apply)

    @rule(
        change=st.sampled_from(
            [
                "canary fails half the time",
                "canary always fails",
                "one update in ten fails",
                "no update fails",
                "TestGroup1 deleted",
            ]
        )
    )
    def upswift_changes(self, change: str) -> None:
        """Failure rates of the simulator's devices, or a group deleted behind the console's
        back (calls naming TestGroup1 then get a 400)."""
        if change == "canary fails half the time":
            self.sim.failure_rates(tags={"canary": 0.5})
        elif change == "canary always fails":
            self.sim.failure_rates(tags={"canary": 1.0})
        elif change == "one update in ten fails":
            self.sim.failure_rates(default=0.1)
        elif change == "no update fails":
            self.sim.failure_rates(default=0.0, tags={})
        elif not self.group_deleted:
            self.sim.delete_group("TestGroup1", move_to="TestGroup2", project=PROJECT)
            self.group_deleted = True

    @rule(how=st.sampled_from([*TIME_STEPS, PAST_DEADLINE]))
    def time_passes(self, how) -> None:
        """Simulated and console time move together (so devices finish), or only the
        console's clock (time_machine) jumps past the open stage's deadline. Then the
        reconcile tick steps the rollout."""
        if how == PAST_DEADLINE:
            _, stages = self.fresh()
            current = lifecycle.stage_current(stages)
            deadline = current.deadline_at if current is not None else None
            if deadline and deadline > timezone.now():
                self.clock.shift(deadline - timezone.now() + timedelta(seconds=1))
        else:
            self.sim.advance(minutes=how)
            self.clock.shift(timedelta(seconds=how * MINUTE_SECONDS))
        self.engine_step()

    # --- invariants: one fresh read of the rows after each step, then every check ---------
    @invariant()
    def invariants_hold(self) -> None:
        if self.rollout_id is None:
            return
        rollout, stages = self.fresh()
        waiting = lifecycle.rollout_waiting(rollout=rollout, stages=stages)
        actions = {
            name: lifecycle.allowed_actions(rollout=rollout, stages=stages, user=user)
            for name, user in self.users.items()
        }
        self.check_lifecycle_page_api_and_query_agree(rollout, stages, waiting, actions)
        self.check_running_waits_for_something(rollout, stages, waiting)
        self.check_paused_says_why(rollout)
        self.check_one_open_stage_and_nothing_started_after_it(stages)
        self.check_finished_allows_nothing(rollout, stages, actions)
        self.check_no_device_deployed_twice_by_a_stage(rollout, stages)

    def check_lifecycle_page_api_and_query_agree(self, rollout, stages, waiting, actions):
        """(1) The page's selector, the API's serializer, the dashboard's query and the page as
        each manager sees it say what the lifecycle says."""
        page = rollout_page(rollout_id=self.rollout_id)
        assert page.waiting == waiting
        assert page.waiting.to_json() == waiting.to_json()
        assert page.awaiting == (waiting.stage if waiting.kind == Awaiting.APPROVAL else None)

        current = lifecycle.stage_current(stages)
        detail = api_selectors.rollout_detail(pk=self.rollout_id)
        for name in ("starter", "other", "viewer"):
            request = SimpleNamespace(user=self.users[name])
            data = RolloutSerializer(detail, context={"request": request}).data
            assert data["waiting"] == waiting.to_json(), name
            assert (
                data["waiting"]["kind"],
                data["waiting"]["stage"],
                data["waiting"]["cause"],
            ) == (
                waiting.kind,
                waiting.stage.position if waiting.stage else None,
                waiting.cause,
            )
            assert data["awaiting_approval"] is (waiting.kind == Awaiting.APPROVAL)
            assert data["current_stage"] == (current.position if current else None)
            assert data["actions"] == sorted(actions[name]), name

        approval = waiting.kind == Awaiting.APPROVAL
        expected = {waiting.stage.pk} if approval else set()
        assert set(stages_waiting().values_list("pk", flat=True)) == expected
        assert {s.pk for s in stages_awaiting_approval()} == expected

        for who in ("starter", "other"):
            self.check_page(who, rollout, stages, waiting, page, actions[who])

    def check_page(self, who, rollout, stages, waiting, page, actions) -> None:
        response = self.clients[who].get(reverse("rollout_detail", args=[rollout.pk]), secure=True)
        assert response.status_code == 200
        markup = response.content.decode()
        base = f"/rollouts/{rollout.pk}/"
        forms = {
            a[len(base) :]
            for a in re.findall(r'<form method="post" action="([^"]+)"', markup)
            if a.startswith(base)
        }
        wanted = {FORM_OF[a] for a in actions if a in FORM_OF}
        if Action.RETRY_FAILED in actions:
            wanted |= {f"stages/{s.position}/retry/" for s in page.retryable}
        assert ("approve/" in forms) == (Action.APPROVE in actions), (who, sorted(actions))
        assert forms == wanted, (who, sorted(actions))
        edits = set(re.findall(rf'href="{base}stages/(\d+)/edit/"', markup))
        wanted_edits = (
            {str(s.position) for s in stages if s.status == StageStatus.PENDING}
            if Action.EDIT_STAGES in actions
            else set()
        )
        assert edits == wanted_edits, (who, sorted(actions))
        line = re.search(r'<p class="waiting-for" data-waiting="([^"]*)">(.*?)</p>', markup, re.S)
        expected_line = expected_waiting_line(waiting, page.waiting_cause_label)
        if expected_line is None:
            assert line is None, page_text(line.group(2))
        else:
            assert line is not None, f"no waiting line; expected {expected_line!r}"
            assert line.group(1) == waiting.kind
            assert page_text(line.group(2)) == expected_line
        assert f'data-status="{rollout.status}"' in markup

    def check_running_waits_for_something(self, rollout, stages, waiting) -> None:
        """(2) A running rollout waits for something unless every stage is done (and then the
        engine completes it on its next step: see engine_step)."""
        if rollout.status == RolloutStatus.RUNNING and waiting.kind == Awaiting.NOTHING:
            assert all(s.status in lifecycle.DONE_STAGE_STATUSES for s in stages), [
                s.status for s in stages
            ]

    def check_paused_says_why(self, rollout) -> None:
        """(3) A paused rollout has a cause and a reason."""
        if rollout.status == RolloutStatus.PAUSED:
            assert rollout.pause_cause in PauseCause.values, rollout.pause_cause
            assert rollout.status_reason.strip(), (
                f"paused ({rollout.pause_cause}) with an empty status_reason"
            )

    def check_one_open_stage_and_nothing_started_after_it(self, stages) -> None:
        """(4) At most one stage deploying or monitoring; nothing after the current one began."""
        statuses = [s.status for s in stages]
        open_now = [
            s for s in stages if s.status in (StageStatus.DEPLOYING, StageStatus.MONITORING)
        ]
        assert len(open_now) <= 1, statuses
        current = lifecycle.stage_current(stages)
        if current is not None:
            for later in stages[current.position :]:
                assert later.status == StageStatus.PENDING, statuses
                assert later.started_at is None and later.deployed_at is None, statuses

    def check_finished_allows_nothing(self, rollout, stages, actions) -> None:
        """(5) A finished rollout allows no action (to anyone, the engine's None included);
        viewers and people without a role never get one."""
        assert not actions["viewer"] and not actions["outsider"]
        if rollout.status in FINISHED_ROLLOUT_STATUSES:
            assert not lifecycle.allowed_actions(rollout=rollout, stages=stages, user=None)
            assert not actions["starter"] and not actions["other"], actions

    def check_no_device_deployed_twice_by_a_stage(self, rollout, stages) -> None:
        """(6) From the simulator: a stage's marker is on at most one update per device, unless
        a person chose to deploy that stage again (retry failed, send again). Read only while
        no fault is queued (the read would take it); a second update never goes away, so the
        next check (or the one at teardown) sees it."""
        if self.faults_queued():
            return
        answer = self.sim.api(
            "GET", "devices_details", {"project_name": PROJECT, "limit": 500}
        ).json()
        assert answer.get("more") is not True
        for stage in stages:
            marker = rollout.marker(stage)
            for device in answer["message"]:
                ours = [
                    u
                    for u in device.get("updates") or []
                    if str(u.get("comment", "")).startswith(marker)
                    and u.get("update_version") == APP_VERSION
                ]
                if len(ours) > 1:
                    assert stage.position in self.resent, (
                        f"{device['device_uuid']} has {len(ours)} updates of stage "
                        f"{stage.position} and no person asked for a second deploy"
                    )


MACHINE_SETTINGS = hypothesis_settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain"
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# Sequences Hypothesis found and shrank, replayed as printed before the search (what @example
# is to @given); each step is followed by the invariants, as in a run.
def blank_pause_reason() -> None:
    """A person's pause with a blank reason left the rollout paused with an empty
    status_reason (3). Fixed since: rollout_pause words one ("Paused by <who>; ...")."""
    state = LifecycleMachine()
    try:
        state.start(four_eyes=False, soak=0, head_start="none")
        state.invariants_hold()
        state.person_does_what_is_offered(pick=1, text="", who="starter")
        state.invariants_hold()
    finally:
        state.teardown()


def refused_read_back_past_the_deadline() -> None:
    """(2b) Stage 2 is monitoring when its group disappears from Upswift: every read-back of
    it was refused (HTTP 400), so the gates never ran, the deadline never paused the rollout,
    and it stayed running, "waiting for the devices of stage 2 until" a time long past.
    Fixed since: a refused read pauses for a person (read_failures.read_refused), and a stage
    whose read-back cannot finish still meets its deadline (gates.stage_deadline_check)."""
    state = LifecycleMachine()
    try:
        state.start(four_eyes=False, soak=0, head_start="stage 2 deployed")
        state.invariants_hold()
        state.upswift_changes(change="TestGroup1 deleted")
        state.invariants_hold()
        state.time_passes(how=30)
        state.invariants_hold()
    finally:
        state.teardown()


KNOWN_SEQUENCES = (blank_pause_reason, refused_read_back_past_the_deadline)


def test_the_lifecycle_the_engine_the_page_the_api_and_the_queries_agree(settings):
    with running_simulator(devices=200, offline_share=0.0, failure_rate=0.0) as sim:
        settings.UPSWIFT_API_URL = sim.base_url
        settings.UPSWIFT_USER_TOKEN = sim.token
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        settings.UPSWIFT_TIMEOUT_SECONDS = CLIENT_TIMEOUT
        settings.UPSWIFT_CALLS_PER_MINUTE = 0  # no budget of our own; a 429 still cools down
        settings.ROLLOUT_POLL_SECONDS = 0
        settings.ROLLOUT_SETTLE_SECONDS = 0
        settings.ROLLOUT_SOAK_MINUTE_SECONDS = MINUTE_SECONDS
        settings.ROLLOUT_RETRY_BASE_SECONDS = 0
        settings.ROLLOUT_RETRY_MAX_SECONDS = 0
        settings.ROLLOUT_MAX_ATTEMPTS = MAX_ATTEMPTS
        settings.ROLLOUT_UNKNOWN_CHECKS = 1  # a lost deploy answer asks a person at once
        upswift_client.cache_clear()
        LifecycleMachine.sim = sim
        LifecycleMachine.users = {
            "starter": user_with_role("rita", RELEASE_MANAGER),
            "other": user_with_role("otto", RELEASE_MANAGER),
            "viewer": user_with_role("vera", VIEWER),
            "outsider": user_with_role("oscar", None),
        }
        with time_machine.travel(START, tick=False):  # sessions valid on the machine's clock
            for who in ("starter", "other"):
                client = Client()
                client.force_login(LifecycleMachine.users[who], backend=MODEL_BACKEND)
                LifecycleMachine.clients[who] = client
        try:
            for sequence in KNOWN_SEQUENCES:
                sequence()
            run_state_machine_as_test(LifecycleMachine, settings=MACHINE_SETTINGS)
        finally:
            upswift_client.cache_clear()
