"""Command handlers and queries for organisations' social value policies."""

from __future__ import annotations

from svledger.auth import Principal
from svledger.errors import Forbidden, NotFound

from commitments.application.context import Context, expect_version
from commitments.domain.policy import Policy, PolicyTerms


async def record_policy(
    ctx: Context,
    actor: Principal,
    organisation: str,
    terms: PolicyTerms,
    *,
    framework_version: str | None,
    if_match: int | None,
) -> tuple[Policy, bool]:
    """Record or revise the caller's own policy; True when it is the first."""
    if organisation != actor.organisation:
        raise Forbidden("an organisation records only its own social value policy")
    framework = await ctx.frameworks.pinned(ctx.load, framework_version, "framework_version")
    async with ctx.work(actor) as work:
        stream = Policy.stream_id(organisation)
        current = Policy.rehydrate(await work.load(stream))
        expect_version(0 if current is None else current.version, if_match, "the policy")
        event = Policy.decide(current, organisation, terms, framework, ctx.today())
        policy = current or Policy()
        if current is None:
            policy.record(event)
        await work.save(policy, stream, [event])
    return policy, current is None


async def get_policy(ctx: Context, organisation: str) -> Policy:
    """An organisation's public-facing policy."""
    policy = Policy.rehydrate(await ctx.load(Policy.stream_id(organisation)))
    if policy is None:
        raise NotFound(f"{organisation} has not recorded a social value policy")
    return policy
