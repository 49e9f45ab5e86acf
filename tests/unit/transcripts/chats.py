"""Hand-written tutor chats shared by the transcript tests."""

from __future__ import annotations

from smartpractice.core.tutoring.types import (
    Message,
    Misconception,
    Role,
    SkillDescriptor,
    Transcript,
)

CHAIN = SkillDescriptor(
    "math:calculus:derivatives:chain_rule",
    "Chain rule",
    "Differentiate a composite function f(g(x)): the derivative of the outer function, "
    "evaluated at the inner function, times the derivative of the inner (inside) function.",
)
POWER = SkillDescriptor(
    "math:calculus:derivatives:power_rule",
    "Power rule",
    "The derivative of x^n is n x^(n-1), e.g. the derivative of x^3 is 3x^2.",
)
FORGETS_INNER = Misconception(
    "chain_rule.forgets_inner_derivative",
    CHAIN.skill_id,
    "Differentiates only the outer function and forgets to multiply by the derivative of "
    "the inner function",
    ("d/dx sin(x^2) = cos(x^2)",),
)


def chat(*turns: tuple[Role, str], problem: str = "") -> Transcript:
    return Transcript(tuple(Message(role, text) for role, text in turns), problem=problem)


# The customer's example: right overall, stuck on the chain-rule step.
STUCK_ON_CHAIN_RULE = chat(
    ("tutor", "Let's find dy/dx for y = sin(x^2) + x^3. What do you get?"),
    ("student", "The derivative of x^3 is 3x^2. For sin(x^2) I wrote cos(x^2)."),
    (
        "tutor",
        "The power rule part is right: 3x^2 is correct. But sin(x^2) is a composite "
        "function, so you need the chain rule: multiply by the derivative of the inside "
        "function.",
    ),
    (
        "student",
        "I don't understand the chain rule. What is the inside function here? Can I get a hint?",
    ),
    (
        "tutor",
        "Hint: the inside function is x^2 and its derivative is 2x. Multiply cos(x^2) by it.",
    ),
    ("student", "So the derivative of sin(x^2) is cos(x^2) * 2x = 2x cos(x^2)."),
    ("tutor", "Yes! So dy/dx = 2x cos(x^2) + 3x^2."),
    problem="Find the derivative of y = sin(x^2) + x^3.",
)

SMOOTH = chat(
    ("tutor", "Talk me through your answer."),
    ("student", "The derivative of x^3 is 3x^2, and the derivative of sin(x^2) is 2x cos(x^2)."),
    ("tutor", "Well done, that is exactly right."),
    problem="Find the derivative of y = sin(x^2) + x^3.",
)

# Julia's spoons (MathDial-like): a wrong intermediate result the tutor corrects.
SPOONS = chat(
    ("tutor", "Please talk me through your solution."),
    (
        "student",
        "Her husband bought 5 spoons. Julia used 3 spoons, so she had 12 - 3 = 9 spoons left. "
        "So x + 5 = 9 and x = 4.",
    ),
    ("tutor", "No, you need to add the 3 spoons she used to the 12, she still has them."),
    ("student", "Oh, right. 12 + 3 = 15. And 15 - 5 = 10, so she bought 10 spoons."),
    ("tutor", "Yes, that's it."),
    problem=(
        "Julia bought a package of spoons. Her husband bought a package of 5 spoons. She "
        "used three of the spoons. She had 12 spoons. How many were in Julia's package?"
    ),
)
