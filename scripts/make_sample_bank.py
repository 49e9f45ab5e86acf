"""Generate the NCERT-style sample question bank at smartpractice/data/sample_bank.json.

Deterministic (one ``random.Random(20261125)``), standard library only. Run from the repo root:

    .venv/bin/python scripts/make_sample_bank.py

The bank is described by the plain-text tables below, one subject each:

* ``== subject | chapter | grade | chapter no | exercise | topic | skill prefix | slug`` opens a
  topic (``exercise`` numbers the ncert-ex ids, ``slug`` the video-quiz ids);
* ``S local_id | name | prerequisites | description`` adds a skill ``<prefix>:<local_id>``;
  prerequisites are space-separated local ids (same topic) or full ids, ``-`` for none;
* ``T label | skills | text | @generator`` adds a question template; label E/M/H, skills as
  for prerequisites (first = main skill). In the text ``{a:2..9}`` draws an integer,
  ``{v:0.5..3/0.5}`` a stepped decimal, ``{f:sin|cos}`` a choice, and ``{a}`` repeats a
  value; the optional ``@generator`` supplies derived values (see GENERATORS).

Lines indented by spaces continue the previous entry. ``{X}``, ``{alpha}`` and ``{rho}`` stand
for the multiplication sign and Greek letters (kept out of the source to please the linter).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

SEED = 20261125
OUT_PATH = Path(__file__).resolve().parent.parent / "smartpractice" / "data" / "sample_bank.json"
MIN_ITEMS_PER_TOPIC = 20
LABELS = {"E": "Easy", "M": "Medium", "H": "Hard"}
SOURCES = ("ncert_exercise", "ncert_example", "pyq", "video_quiz")
# Relative weights of SOURCES per difficulty label: previous-year questions lean Hard.
SOURCE_WEIGHTS = {"Easy": (40, 30, 5, 25), "Medium": (45, 20, 15, 20), "Hard": (30, 10, 50, 10)}
MARKS = {"Easy": (1, 1, 2), "Medium": (2, 3, 3, 4), "Hard": (4, 5, 5, 6)}
SECONDS_PER_MARK = {"Easy": 45, "Medium": 75, "Hard": 110}
BASE_SECONDS = {"Easy": 20, "Medium": 60, "Hard": 120}
EXPLICIT_ELO_SHARE = 0.05
ELO_RANGE = {"Easy": (900, 1150), "Medium": (1100, 1350), "Hard": (1300, 1600)}
SUBJECT_ABBR = {"Mathematics": "math", "Physics": "phy", "Chemistry": "chem"}
SKILL_ID_RE = re.compile(r"^[a-z0-9_]+(:[a-z0-9_]+){3}$")
PLACEHOLDER_RE = re.compile(r"\{(\w+)(?::([^{}]*))?\}")
SYMBOLS = {"X": "\N{MULTIPLICATION SIGN}", "alpha": "\N{GREEK SMALL LETTER ALPHA}"}
SYMBOLS["rho"] = "\N{GREEK SMALL LETTER RHO}"

MATHEMATICS = """
== Mathematics | Linear Equations in One Variable | 8 | 2 | 2.2 | Solving linear equations
    | math:algebra:linear_equations | linear-equations
S transpose_terms | Solving by transposition | - | Isolates the unknown in a one- or two-step
    linear equation by transposing terms across the equals sign. Students often forget to change
    the sign of a transposed term or divide only one side.
S variables_both_sides | Variables on both sides | transpose_terms | Collects variable terms on one
    side and constants on the other, expanding brackets first. Typical slips are sign errors when
    removing a bracket preceded by a minus and combining unlike terms.
S word_problems | Forming linear equations from word problems | variables_both_sides | Turns
    situations about ages, consecutive numbers, perimeters and money into a linear equation and
    interprets the answer. Learners pick an unclear unknown or misread phrases like "5 more than".
T E | transpose_terms | Solve: {a:2..9}x + {b:3..25} = {c:30..90}.
T E | transpose_terms | Solve and check your answer: x/{a:2..9} - {b:2..12} = {c:1..15}.
T M | variables_both_sides | Solve: {a:5..12}x - {b:2..20} = {c:2..4}x + {d:10..40}.
T M | variables_both_sides | Solve: {a:2..6}(x - {b:1..9}) = {c:7..12}x + {d:3..30}.
T M | word_problems | The perimeter of a rectangle is {p:40..120/2} cm and its length is {d:2..9} cm
    more than twice its breadth. Find the length and breadth of the rectangle.
T H | word_problems variables_both_sides | Present ages of Rahul and Haroon are in the ratio
    {r:3:5|4:7|5:7|5:8|3:7|4:9|5:9}. After {n:4..9} years the sum of their ages will be
    {s:50..80} years. What are their present ages?
T E | word_problems | The sum of two numbers is {s:40..95} and one of them exceeds the other by
    {d:3..19}. Form an equation and find the numbers.

== Mathematics | Quadratic Equations | 10 | 4 | 4.2 | Solving quadratic equations
    | math:algebra:quadratic_equations | quadratic-equations
S factorisation | Solving quadratics by factorisation
    | math:algebra:linear_equations:transpose_terms
    | Splits the middle term to factorise ax^2 + bx + c and uses the zero-product rule to get both
    roots. Common errors are a factor pair with the wrong sign and writing only one root.
S quadratic_formula | Quadratic formula | math:algebra:linear_equations:transpose_terms | Applies
    x = (-b ± √D)/2a after writing the equation in standard form. Students take the sign of b
    wrongly or divide only the radical part by 2a.
S discriminant | Nature of roots | quadratic_formula | Uses D = b^2 - 4ac to decide whether the
    roots are real and distinct, equal or not real, and finds a parameter for equal roots. A typical
    error is claiming that D = 0 means there are no roots.
S word_problems | Quadratic word problems
    | factorisation math:algebra:linear_equations:word_problems
    | Models speed-time, area and number problems as quadratic equations and keeps the meaningful
    root. Students forget to reject a negative length or speed, or set up time equations wrongly.
T E | factorisation | Find the roots of the quadratic equation {q} = 0 by factorisation. | @monic
T M | factorisation | Solve by splitting the middle term: {q} = 0. | @nonmonic
T M | quadratic_formula | Using the quadratic formula, find the roots of {q} = 0, if they exist.
    | @general
T E | discriminant | Find the discriminant of {q} = 0 and hence state the nature of its roots.
    | @general
T M | discriminant | Find the values of k for which {a:2..9}x^2 + kx + {c:1..9} = 0 has two equal
    roots.
T H | word_problems factorisation | The product of two consecutive positive {kind} integers is
    {prod}. Form a quadratic equation and find the integers. | @consecutive
T H | word_problems quadratic_formula math:algebra:linear_equations:word_problems | A train travels
    {d:180..480/30} km at a uniform speed. If the speed had been {v:5..15/5} km/h more, it would
    have taken {t:1..2} h less for the same journey. Find the speed of the train.

== Mathematics | Trigonometric Functions | 11 | 3 | 3.3
    | Trigonometric identities and radian measure
    | math:trigonometry:identities | trig-identities
S radian_measure | Radian and degree measure | - | Converts between degrees and radians using
    π rad = 180° and uses l = rθ for arcs. The classic error is multiplying by 180/π when
    converting degrees to radians.
S pythagorean_identities | Trigonometric ratios and Pythagorean identities | radian_measure | Finds
    all six trigonometric functions from one of them using sin^2 x + cos^2 x = 1 and quadrant
    signs. Students usually get the magnitudes right but the signs wrong for the quadrant.
S compound_angles | Compound angle formulae | pythagorean_identities | Uses sin(A ± B),
    cos(A ± B) and tan(A ± B) to evaluate and simplify expressions. A frequent misconception is
    treating sin(A + B) as sin A + sin B.
S multiple_angles | Double, triple and half angle formulae | compound_angles | Applies the
    double, triple and half-angle results, choosing the right form of cos 2x. Students mix up the
    three forms of cos 2x and choose the wrong sign for half angles.
T E | radian_measure | Convert {d:25..340/5}° into radian measure.
T E | radian_measure | Find the degree measure corresponding to {n:1..11}π/{k:3|4|5|6|8|9|12}
    radians.
T E | radian_measure | A wheel makes {n:180..540/30} revolutions in one minute. Through how many
    radians does it turn in {s:1..5} s?
T E | pythagorean_identities | If cos x = -{p:1..4}/{q:5|7|11|13} and x lies in the
    {quad:second|third} quadrant, find the values of the other five trigonometric functions.
T M | compound_angles | Find the value of {f:sin|cos|tan} {a:15|75|105|165}° using compound
    angle formulae.
T M | compound_angles pythagorean_identities | If tan A = {a:1..6}/{b:7..12} and tan B = 1/{c:2..9},
    find tan(A + B) and state whether A + B is acute.
T H | multiple_angles | If cos x = -{p:1..3}/{q:5|7|8|11} and x lies in the third
    quadrant, find sin(x/2), cos(x/2) and tan(x/2).
T H | multiple_angles | Show that cos 4x = 1 - 8 sin^2 x cos^2 x and hence evaluate cos 4x when
    sin x = {p:1..2}/{q:3|5|7}.

== Mathematics | Limits and Derivatives | 11 | 12 | 12.1 | Limits | math:calculus:limits | limits
S algebraic_limits | Limits of algebraic functions | math:algebra:quadratic_equations:factorisation
    | Evaluates limits by substitution, by factorising and cancelling, or by rationalising when
    substitution gives 0/0. Students often stop at 0/0 and call the limit undefined.
S standard_limits | Standard limits | algebraic_limits math:trigonometry:identities:radian_measure
    | Uses lim (x^n - a^n)/(x - a) = na^(n-1) and lim sin x/x = 1 after rearranging. Typical
    errors are applying sin x/x when the arguments do not match, or working in degrees.
T E | algebraic_limits | Evaluate lim_(x→{a:1..6}) ({b:2..9}x^2 - {c:1..9}x + {d:1..9}).
T M | algebraic_limits math:algebra:quadratic_equations:factorisation | Evaluate
    lim_(x→{a}) ({num})/({den}). | @limit_rational
T H | algebraic_limits | Evaluate lim_(x→0) (√(1 + {k:2..7}x) - 1)/x.
T M | standard_limits | Evaluate lim_(x→{a}) (x^{n} - {an})/(x - {a}). | @limit_power
T E | standard_limits | Evaluate lim_(x→0) sin {a:2..9}x / sin {b:2..9}x.
T E | standard_limits | Evaluate lim_(x→0) tan {a:2..9}x / x.
T H | standard_limits math:trigonometry:identities:multiple_angles | Evaluate
    lim_(x→0) (1 - cos {a:2..8}x)/x^2.

== Mathematics | Limits and Derivatives | 11 | 12 | 12.2 | Derivatives | math:calculus:derivatives
    | derivatives
S first_principles | Derivative from first principles | math:calculus:limits:standard_limits |
    Computes f'(x) as the limit of [f(x + h) - f(x)]/h. Students expand f(x + h) incorrectly or
    let h → 0 before cancelling h.
S basic_rules | Basic differentiation rules | first_principles | Differentiates polynomials and
    standard functions with the power, sum and constant-multiple rules. Common slips are forgetting
    that a constant differentiates to zero and mishandling negative powers.
S product_quotient | Product and quotient rules | basic_rules | Differentiates products and
    quotients with (uv)' and (u/v)'. The usual errors are reversing the numerator of the quotient
    rule or differentiating each factor separately.
T M | first_principles | Find the derivative of {a:2..9}x^2 + {b:1..9}x from first principles.
T H | first_principles math:calculus:limits:standard_limits | Find the derivative of
    {f:sin|cos} {a:2..5}x from first principles.
T E | basic_rules | Find the derivative of {a:2..9}x^{n:4..8} - {b:2..9}x^{m:2..3} + {c:5..20}
    with respect to x.
T E | basic_rules | Find f'({x0:1..4}) if f(x) = {a:2..9}x^{n:2..5} - {b:1..9}/x.
T E | product_quotient | Find the derivative of (x^2 + {a:1..9})(x^{n:3..5} - {b:1..9}x).
T M | product_quotient | Differentiate (x + {a:1..9})/(x - {b:1..9}) with respect to x.
T H | product_quotient | Find the derivative of (x^{n:2..4} sin x)/(x + {a:1..9}).

== Mathematics | Continuity and Differentiability | 12 | 5 | 5.2 | Derivatives of composite
    functions | math:calculus:derivatives | chain-rule
S chain_rule | Chain rule | basic_rules | Differentiates composite functions by multiplying the
    derivative of the outer function by that of the inner one. Students most often forget the
    inner derivative or differentiate the inner function twice.
S inverse_trig_derivatives | Derivatives of inverse trigonometric functions | chain_rule
    math:trigonometry:identities:multiple_angles | Differentiates sin^-1, cos^-1 and tan^-1
    expressions, often after a substitution simplifies them. Learners confuse sin^-1 x with
    1/sin x and ignore the domain of the substitution.
T E | chain_rule | Differentiate {f:sin|cos|tan}({a:2..9}x + {b:1..9}) with respect to x.
T M | chain_rule basic_rules | Differentiate sin(x^{n:2..4} + {c:1..9}) with respect to x.
T M | chain_rule | Differentiate ({a:2..7}x^2 - {b:1..9}x + {c:1..9})^{n:3..9} with respect to x.
T H | chain_rule | Differentiate e^({f:sin|cos} {a:2..6}x) · cos(x^{n:2..3}) with respect to x.
T E | inverse_trig_derivatives | Find dy/dx if y = {f:sin|cos|tan}^-1({a:2..7}x).
T H | inverse_trig_derivatives math:trigonometry:identities:multiple_angles | Find dy/dx if
    y = {e:sin^-1(2x/(1 + x^2))|cos^-1((1 - x^2)/(1 + x^2))|tan^-1((3x - x^3)/(1 - 3x^2))
    |sin^-1(3x - 4x^3)|cos^-1(4x^3 - 3x)|tan^-1(2x/(1 - x^2))}, stating the values of x for
    which your answer holds.

== Mathematics | Continuity and Differentiability | 12 | 5 | 5.3 | Implicit and logarithmic
    differentiation | math:calculus:derivatives | implicit-differentiation
S implicit_differentiation | Implicit differentiation | chain_rule | Differentiates relations in
    x and y term by term, treating y as a function of x, and solves for dy/dx. The common error is
    forgetting the dy/dx factor when differentiating terms in y.
S logarithmic_differentiation | Logarithmic differentiation | chain_rule product_quotient | Takes
    logarithms to differentiate variable powers such as x^(sin x) and long products or quotients.
    Students apply the power rule to x^x or forget to multiply back by y.
T E | implicit_differentiation | Find dy/dx if {a:2..9}x + {b:2..9}y = {f:sin|cos} y.
T M | implicit_differentiation | Find dy/dx if x^2 + {k:2..5}xy + y^2 = {c:50..150}.
T M | implicit_differentiation chain_rule | Find dy/dx if x^{a:2..4} + y^{a} = {b:2..9}xy.
T M | logarithmic_differentiation | Differentiate y = (x + {a:1..9})^x with respect to x, for x > 0.
T E | logarithmic_differentiation | Differentiate y = x^({f:sin|cos|tan} {a:1..5}x) with respect
    to x, for x > 0.
T H | logarithmic_differentiation product_quotient | Differentiate
    √((x - {a:1..3})(x - {b:4..6})/((x - {c:7..9})(x - {d:10..12}))) with respect to x.
T H | logarithmic_differentiation | Find dy/dx if x^y + y^x = {c:1..9}.

== Mathematics | Integrals | 12 | 7 | 7.2 | Integration by substitution | math:calculus:integrals
    | integration-substitution
S antiderivatives | Indefinite integrals of standard functions
    | math:calculus:derivatives:basic_rules
    | Integrates sums of powers, exponentials, 1/x and basic trigonometric functions term by term.
    Typical slips are dropping the constant of integration and writing ∫ 1/x dx as x^0/0.
S substitution | Integration by substitution | antiderivatives math:calculus:derivatives:chain_rule
    | Chooses t = g(x) so that g'(x) dx appears in the integrand, then returns to x. Students
    forget to convert dx into dt or leave the answer in terms of t.
S trig_integrands | Integrals using trigonometric identities | substitution
    math:trigonometry:identities:multiple_angles | Rewrites powers and products of sines and
    cosines with double-angle and product-to-sum identities before integrating. A frequent error
    is integrating sin^2 x as if it were sin^3 x/3.
T E | antiderivatives | Find ∫ ({a:2..9}x^{n:2..6} - {b:2..9}x + {c:1..9}) dx.
T E | antiderivatives | Find ∫ ({a:2..9} sin x + {b:2..9}e^x - {c:2..9}/x) dx.
T M | substitution | Find ∫ x({b:2..9}x^2 + {c:1..9})^{p:3..9} dx.
T M | substitution math:calculus:derivatives:chain_rule | Find
    ∫ {f:sin|cos|sec^2}({a:2..9}x + {b:1..9}) dx.
T M | substitution | Find ∫ (log x)^{n:2..6}/x dx and ∫ x^2({b:2..9}x^3 + {c:1..9})^{p:2..5} dx.
T M | trig_integrands math:trigonometry:identities:multiple_angles | Find
    ∫ {f:sin|cos}^2({a:2..7}x) dx.
T H | trig_integrands | Find ∫ sin {a:2..5}x cos {b:6..9}x dx.
T H | trig_integrands | Find ∫ sin^3 x cos^{n:2..7} x dx.
"""

PHYSICS = """
== Physics | Motion | 9 | 7 | 7 | Describing motion: distance, speed and acceleration
    | phy:mechanics:motion_basics | motion
S distance_displacement | Distance and displacement | - | Distinguishes the path length travelled
    from the straight-line change in position, including on circular tracks. Pupils report the
    distance when asked for displacement, especially after complete rounds.
S speed_velocity | Speed and velocity | distance_displacement | Calculates average speed and
    average velocity and converts between km/h and m/s. The commonest error is averaging two
    speeds for a round trip instead of dividing total distance by total time.
S acceleration | Uniform acceleration | speed_velocity | Finds acceleration from a change in
    velocity over time and uses it for motion from rest. Students forget to convert km/h to m/s or
    minutes to seconds before substituting.
T E | distance_displacement | An athlete completes one round of a circular track of diameter
    {d:100..400/50} m in {t:20..60/5} s. What will be the distance covered and the displacement
    at the end of {m:1..3} min {s:10..50/10} s?
T E | speed_velocity | A bus covers {d:60..240/10} km in {t:2..5} h. What is its average speed in
    km/h and in m/s?
T M | speed_velocity distance_displacement | Joseph jogs from one end A to the other end B of a
    straight {L:200..500/50} m road in {t:2..3} min {s:10..50/10} s and then turns around and jogs
    {b:50..150/25} m back to point C in another 1 min. What are his average speeds and velocities
    from A to B and from A to C?
T M | speed_velocity | Abdul drives to school at an average speed of {a:15..30} km/h and returns
    along the same route at {b:31..45} km/h. What is his average speed for the round trip?
T E | acceleration | A car accelerates uniformly from {u:10..30/2} km/h to {v:40..90/4} km/h in
    {t:4..10} s. Find its acceleration in m/s^2.
T M | acceleration | A train starting from rest attains a velocity of {v:36..90/9} km/h in
    {t:3..8} min. Assuming uniform acceleration, find the acceleration and the distance travelled.
T E | acceleration | A racing car has a uniform acceleration of {a:2..6} m/s^2.
    What distance will it cover {t:6..15} s after the start?

== Physics | Motion in a Straight Line | 11 | 2 | 2 | Uniformly accelerated motion
    | phy:mechanics:kinematics | kinematics
S average_velocity | Average velocity in one dimension | phy:mechanics:motion_basics:speed_velocity
    | Uses displacement over total time and distance over total time for multi-stage straight-line
    motion. Students confuse average speed with the mean of the speeds and ignore direction.
S equations_of_motion | Equations of uniformly accelerated motion | average_velocity
    phy:mechanics:motion_basics:acceleration math:algebra:linear_equations:transpose_terms
    math:algebra:quadratic_equations:quadratic_formula | Chooses among v = u + at,
    s = ut + at^2/2 and v^2 = u^2 + 2as to find an unknown. Typical errors are inconsistent signs
    for retardation and mixed units.
S free_fall | Free fall and vertical projection | equations_of_motion | Applies the kinematic
    equations with a = -g to bodies dropped or thrown vertically. Students flip the sign of g
    partway through or assume the velocity is zero on reaching the ground.
S relative_velocity | Relative velocity in one dimension | average_velocity | Works in the frame
    of one body to solve overtaking and meeting problems. Learners add speeds when they should
    subtract (or vice versa) and forget the relative acceleration.
T E | average_velocity | A car travels the first half of a distance at {a:20..40} km/h and the
    second half at {b:50..70} km/h. Find its average speed for the whole journey.
T M | average_velocity | A man walks on a straight road from his home to a market {d:2..3}.5 km
    away at {u:4..6} km/h. Finding the market closed, he instantly turns and walks back home at
    {v:7..9} km/h. What are his average velocity and average speed over 0 to {t:30|40|50} min?
T E | equations_of_motion | A car moving along a straight highway with speed {v:90..144/18} km/h
    is brought to a stop within {s:150..300/50} m. What is its retardation (assumed uniform) and
    how long does it take to stop?
T M | equations_of_motion math:algebra:quadratic_equations:quadratic_formula | A body starts with
    velocity {u:2..8} m/s and moves with uniform acceleration {a:1..4} m/s^2 along a straight
    line. After how much time will it have travelled {s:30..120/10} m?
T M | free_fall | A ball is thrown vertically upwards with a velocity of {u:10..30/5} m/s from the
    top of a building {h:20..40/5} m high. How high will the ball rise, and how long will it be
    before it hits the ground? (Take g = 10 m/s^2.)
T H | free_fall equations_of_motion | A stone is dropped from the top of a tower {h:60..180/20} m
    high. At the same instant another stone is projected vertically upwards from the ground with
    a speed of {u:20..50/5} m/s. When and where do the two stones meet? (g = 9.8 m/s^2)
T H | relative_velocity | Two trains of length {l:200..400/50} m each move on parallel tracks at
    {v:54..90/18} km/h in the same direction. The rear train accelerates at {a:1|2} m/s^2 and
    after {t:40..60/10} s its guard just brushes past the driver of the front train. What was the
    original distance between them?
T H | relative_velocity | On a two-lane road, car A travels at {va:36..72/18} km/h. Cars B and C
    approach A from opposite directions at {vb:54|72} km/h each. When AB = AC = {d:1|2} km, B
    decides to overtake A before C does. What minimum acceleration of B avoids an accident?

== Physics | Laws of Motion | 11 | 4 | 4 | Newton's second law, friction and momentum
    | phy:mechanics:dynamics | laws-of-motion
S newtons_second_law | Newton's second law | phy:mechanics:kinematics:equations_of_motion | Relates
    net force, mass and acceleration (F = ma), often with the acceleration found from kinematics.
    Students use one applied force instead of the net force and forget to convert grams to kg.
S free_body_diagrams | Free-body diagrams and connected bodies | newtons_second_law | Isolates each
    body, draws every force acting on it and writes F = ma along chosen axes, e.g. lifts and
    pulleys. Common mistakes are adding forces exerted by the body and omitting normal reaction.
S friction | Static and kinetic friction | free_body_diagrams | Uses f ≤ μN for static friction and
    f = μN for kinetic friction, including on inclines. Students take N = mg on an incline and use
    kinetic friction before the body has started moving.
S momentum_impulse | Momentum, impulse and recoil | newtons_second_law | Applies impulse = change
    in momentum and conservation of momentum in recoil. Learners ignore the vector nature of
    momentum when a ball is deflected and drop signs in recoil problems.
T E | newtons_second_law | A constant force acting on a body of mass {m:2..10} kg changes its speed
    from {u:2..5} m/s to {v:6..15} m/s in {t:2..6} s without changing its direction. What is the
    magnitude of the force?
T M | newtons_second_law phy:mechanics:kinematics:equations_of_motion | A bullet of mass
    {m:10..50/5} g moving at {v:100..300/50} m/s enters a heavy wooden block and stops after
    {d:30..80/10} cm. What is the average resistive force exerted by the block on the bullet?
T M | free_body_diagrams | Masses of {m1:6..10} kg and {m2:2..5} kg hang from a light string over a
    frictionless pulley. Find the acceleration of the masses and the tension in the string when
    they are released. (g = 9.8 m/s^2)
T H | free_body_diagrams | A man of mass {m:50..80/5} kg stands on a weighing
    scale in a lift moving {dir:upwards|downwards} with an acceleration of {a:2..5} m/s^2. What is
    the reading on the scale? What would it read if the lift fell freely?
T E | friction | A block of mass {m:2..10} kg rests on a horizontal floor. The coefficient of static
    friction is {mu:0.2..0.6/0.1}. What minimum horizontal force starts the block moving?
    (g = 10 m/s^2)
T H | friction free_body_diagrams | A block of mass {m:2..8} kg slides down a plane inclined at
    {th:30|37|45|53}° to the horizontal. If the coefficient of kinetic friction is
    {mu:0.1..0.4/0.05}, find the acceleration of the block.
T M | momentum_impulse | A batsman deflects a ball by {a:45|60|90}° without changing its speed of
    {v:36..72/18} km/h. What impulse is imparted to the ball of mass {m:0.15|0.16|0.17} kg?
T E | momentum_impulse | A shell of mass {m:0.02..0.05/0.01} kg is fired by a gun of mass
    {M:80..120/10} kg. If the muzzle speed of the shell is {v:50..100/10} m/s, what is the recoil
    speed of the gun?

== Physics | Work, Energy and Power | 11 | 5 | 5 | Work-energy theorem and power
    | phy:mechanics:work_energy | work-energy
S work_done | Work done by a constant force | phy:mechanics:dynamics:newtons_second_law | Computes
    W = Fd cos θ and identifies positive, negative and zero work. Students forget the cos θ factor
    or give friction positive work.
S work_energy_theorem | Work-energy theorem | work_done phy:mechanics:kinematics:equations_of_motion
    | Equates the net work done by all forces to the change in kinetic energy. A typical error is
    counting only the applied force and ignoring resistive forces.
S energy_conservation | Conservation of mechanical energy | work_energy_theorem | Uses conservation
    of kinetic plus potential energy, including springs and vertical circles, and accounts for
    work against friction. Students forget the spring energy kx^2/2 or the condition at the top.
S power | Power | work_done | Finds power as the rate of doing work and as P = Fv, converting to
    horsepower where asked. Learners confuse energy and power units and leave friction out of Fv.
T E | work_done | A force of {f:5..50/5} N acting at {a:30|45|60}° to the horizontal pulls a trolley
    through {d:2..10} m along a horizontal floor. Calculate the work done by the force.
T M | work_done phy:mechanics:dynamics:friction | A body of mass {m:2..6} kg initially at rest is
    pulled by a horizontal force of {f:7..20} N on a table with coefficient of kinetic friction
    {mu:0.1..0.2/0.05}. Find the work done by the applied force and by friction in {t:5..10} s.
T M | work_energy_theorem | A bullet of mass {m:10..50/5} g moving at {u:200..500/50} m/s passes
    through a plank {w:2..10} cm thick and emerges at {v:50..150/10} m/s. Using the work-energy
    theorem, find the average resistive force of the plank.
T H | work_energy_theorem phy:mechanics:kinematics:equations_of_motion | A raindrop of mass
    {m:1..5/0.5} g falling from a height of {h:0.5..2/0.5} km hits the ground with a speed of
    {v:20..50/5} m/s. What work is done by gravity and by the resistive force? (g = 10 m/s^2)
T M | energy_conservation | A block of mass {m:1..5} kg moving at {v:2..8} m/s on a smooth floor
    compresses a spring of spring constant {k:100..800/100} N/m. Find the maximum compression.
T H | energy_conservation | A body is released from a height of {h:5..20} m on
    a frictionless curved track that ends in a rough horizontal section with coefficient of
    friction {mu:0.2..0.5/0.1}. How far along the rough section does it slide before stopping?
T M | power | An elevator carries a maximum load of {m:1500..2000/100} kg moving up at {v:2..4} m/s
    against a frictional force of {f:3000..5000/500} N. Find the minimum power delivered by the
    motor in watts and in horsepower.
T E | power | A pump lifts {m:200..800/100} kg of water to a height of {h:10..40/5} m in
    {t:10..60/10} s. Calculate the power of the pump. (g = 10 m/s^2)

== Physics | Electricity | 10 | 11 | 11 | Ohm's law and combination of resistors
    | phy:electricity:dc_circuits | electricity
S ohms_law | Ohm's law | math:algebra:linear_equations:transpose_terms | Relates potential
    difference, current and resistance (V = IR) for a conductor at constant temperature. Pupils
    invert the relation or forget to convert mA to A.
S resistivity | Resistance and resistivity | ohms_law | Uses R = {rho}l/A to see how resistance
    depends on length, area and material, including stretched wires. Students use the diameter for
    the radius and forget that stretching also reduces the area.
S series_parallel | Resistors in series and parallel | ohms_law | Finds the equivalent resistance
    and the current and voltage in each resistor. The usual errors are adding parallel resistances
    directly or forgetting to take the reciprocal at the end.
S electric_power | Electric power and energy | ohms_law | Uses P = VI = I^2R = V^2/R and energy in
    kWh for household appliances. Students mix joules with kilowatt-hours and use rated power for
    lamps that are not at their rated voltage.
T E | ohms_law | How much current will an electric bulb draw from a {v:110|220|230} V source if the
    resistance of its filament is {r:800..1600/100} Ω?
T E | ohms_law | A potential difference of {v:6..24/3} V across a resistor drives a current of
    {i:0.2..2/0.1} A. Find its resistance. What happens to the current if the potential
    difference is doubled?
T M | resistivity | A copper wire of diameter {d:0.3..0.6/0.1} mm has resistivity 1.6 {X} 10^-8 Ω m.
    What length of this wire has a resistance of {r:5..20} Ω? How does the resistance change if
    the diameter is doubled?
T M | resistivity | A wire of length {l:1..4} m and resistance {r:2..20} Ω is stretched uniformly to
    {k:2|3} times its length. Find its new resistance and its resistivity.
T E | series_parallel | Resistors of {r1:2..6} Ω, {r2:6..12} Ω and {r3:10..20} Ω are connected in
    parallel across a battery of {v:6..24/6} V. Find the total current drawn from the battery.
T M | series_parallel | Resistors of {r1:1..5} Ω, {r2:6..10} Ω and {r3:11..15} Ω are
    connected in series across a battery of {v:6..18/3} V. Find the current and the potential
    difference across each resistor.
T E | electric_power | An electric heater rated {p:500..2000/250} W is used for {h:2..5} hours
    daily. What electrical energy does it consume in 30 days, in kWh?
T H | electric_power series_parallel | Lamps rated {p1:40..100/20} W and {p2:40..100/20} W at 220 V
    are connected {how:in series|in parallel} to the 220 V mains. Find the power consumed by each
    lamp and the current drawn from the supply.

== Physics | Current Electricity | 12 | 3 | 3 | Cells, EMF and Kirchhoff's rules
    | phy:electricity:circuit_analysis | current-electricity
S emf_internal_resistance | EMF and internal resistance | phy:electricity:dc_circuits:ohms_law |
    Relates terminal voltage, emf and internal resistance of a cell while discharging and while
    charging. Students forget that the terminal voltage exceeds the emf during charging.
S kirchhoff_rules | Kirchhoff's rules | phy:electricity:dc_circuits:series_parallel
    math:algebra:linear_equations:variables_both_sides | Applies the junction and loop rules with
    consistent sign conventions to multi-loop circuits. Sign errors when crossing a cell or
    resistor against the assumed current are the commonest mistake.
S wheatstone_bridge | Wheatstone bridge and metre bridge | kirchhoff_rules | Uses the balance
    condition P/Q = R/S and its metre-bridge form to find an unknown resistance. Students measure
    the balancing length from the wrong end or swap the resistances in the ratio.
T E | emf_internal_resistance | A battery of emf {e:6..24/2} V and internal resistance
    {r:0.2..1/0.1} Ω is connected to an external resistor of {R:4..20} Ω. Find the current in the
    circuit and the terminal voltage of the battery.
T M | emf_internal_resistance | A battery of emf {e:12..24/2} V and internal resistance
    {r:0.1..0.6/0.1} Ω is charged by a {v:110|120|220} V dc supply through a series resistor of
    {R:10..20} Ω. What is the terminal voltage of the battery during charging?
T M | emf_internal_resistance | A high-resistance voltmeter reads {v1:1.5..2.2/0.1} V across a
    cell. When a resistor of {R:5..15} Ω is connected across the cell the reading drops to
    {v2:1..1.4/0.05} V. Find the internal resistance of the cell.
T M | kirchhoff_rules | Cells of emf {e1:2..6} V and {e2:1..4} V with internal resistances
    {r1:0.5..2/0.5} Ω and {r2:1..3/0.5} Ω are joined in parallel, like terminals together, across
    an external resistor of {R:4..12} Ω. Using Kirchhoff's rules, find the current through
    the resistor.
T H | kirchhoff_rules math:algebra:linear_equations:variables_both_sides | In a two-loop network,
    cells of emf {e1:6..12} V and {e2:2..5} V share a common {R:2..8} Ω branch, and the outer
    branches contain {r1:1..4} Ω and {r2:3..9} Ω. Find the current in each branch.
T E | wheatstone_bridge | In a Wheatstone bridge P = {p:10..50/10} Ω, Q = {q:20..60/10} Ω and
    R = {r:30..90/15} Ω. Find S for which the galvanometer shows no deflection.
T H | wheatstone_bridge kirchhoff_rules | In a metre bridge the null point is at {l:33..45/0.5} cm
    from end A when the resistor Y is {y:10..15/0.5} Ω. Find the resistance X. Why are the
    connections in a metre bridge made of thick copper strips?
"""

CHEMISTRY = """
== Chemistry | Chemical Reactions and Equations | 10 | 1 | 1 | Writing and balancing chemical
    equations | chem:reactions:equations | chemical-equations
S writing_equations | Writing chemical equations | - | Converts word statements into skeletal
    equations with correct formulae and state symbols. Pupils write wrong formulae such as NaSO₄
    or diatomic gases as single atoms.
S balancing | Balancing chemical equations | writing_equations | Balances the atoms of each
    element by adjusting coefficients, never subscripts. The typical error is changing a formula
    to make the equation balance.
S reaction_types | Types of chemical reactions | writing_equations | Classifies reactions as
    combination, decomposition, displacement, double displacement or redox and explains what is
    observed. Students confuse displacement with double displacement.
T E | writing_equations balancing | Translate into a balanced chemical equation: {s:Hydrogen gas
    combines with nitrogen to form ammonia|Sodium reacts with water to form sodium hydroxide and
    hydrogen gas|Potassium reacts with water to give potassium hydroxide and hydrogen gas
    |Hydrogen sulphide burns in air to give water and sulphur dioxide|Barium chloride reacts with
    aluminium sulphate to give aluminium chloride and barium sulphate|Calcium oxide reacts with
    water to give calcium hydroxide}.
T E | balancing | Balance the chemical equation: {e:Fe + H₂O → Fe₃O₄ + H₂|HNO₃ + Ca(OH)₂ →
    Ca(NO₃)₂ + H₂O|NaOH + H₂SO₄ → Na₂SO₄ + H₂O|BaCl₂ + K₂SO₄ → BaSO₄ + KCl|Pb(NO₃)₂ → PbO + NO₂ + O₂
    |C₃H₈ + O₂ → CO₂ + H₂O|Al + CuCl₂ → AlCl₃ + Cu|MnO₂ + HCl → MnCl₂ + Cl₂ + H₂O}.
T M | balancing | Write the balanced equation with state symbols for: {s:solutions
    of barium chloride and sodium sulphate react to give insoluble barium sulphate and sodium
    chloride|zinc granules react with dilute sulphuric acid|sodium hydroxide solution reacts with
    hydrochloric acid|magnesium ribbon burns in air|copper is heated in air|ethane burns in excess
    oxygen}.
T E | reaction_types | Identify the type of reaction: {e:CaCO₃ → CaO + CO₂|Zn + CuSO₄ → ZnSO₄ + Cu
    |2H₂ + O₂ → 2H₂O|AgNO₃ + NaCl → AgCl + NaNO₃|2FeSO₄ → Fe₂O₃ + SO₂ + SO₃|Fe₂O₃ + 2Al → Al₂O₃
    + 2Fe|CaO + H₂O → Ca(OH)₂}.
T M | reaction_types writing_equations | What happens when {s:quicklime is added to water|ferrous
    sulphate crystals are heated|silver chloride is left in sunlight|an iron nail is dipped in
    copper sulphate solution|sodium sulphate solution is mixed with barium chloride solution|lead
    nitrate is heated strongly}? Write the balanced equation and name the type of reaction.
T H | reaction_types | {s:A shiny brown element X turns black when heated in air. Name X
    and the black compound|A solution of a substance X is used for whitewashing. Name X and write
    its reaction with water|Oil and fat containing food is flushed with nitrogen. Explain why
    |Decomposition reactions are called the opposite of combination reactions. Explain
    |A grey metal X placed in blue copper sulphate solution turns it colourless. Identify X}, with
    balanced equations for the reactions involved.

== Chemistry | Some Basic Concepts of Chemistry | 11 | 1 | 1 | Mole concept and stoichiometry
    | chem:physical:mole_concept | mole-concept
S molar_mass | Molar mass and moles | - | Computes molar masses from atomic masses and converts
    between mass and amount of substance. Common slips are using the atomic number instead of the
    atomic mass and missing atoms inside parentheses.
S avogadro | Avogadro constant and number of particles | molar_mass | Converts between moles and
    numbers of atoms, molecules or ions using N_A. Students confuse the number of molecules with
    the number of atoms in them and the atomic mass unit with grams.
S empirical_formula | Empirical and molecular formula | molar_mass | Derives the simplest
    whole-number ratio from percentage composition and scales it with the molar mass. Learners
    round mole ratios too early, e.g. treating 1.5 as 2.
S stoichiometry | Reaction stoichiometry and limiting reagent | molar_mass
    chem:reactions:equations:balancing | Uses mole ratios from a balanced equation to find amounts
    of products and identifies the limiting reagent. Students use mass ratios instead of mole
    ratios or ignore which reactant runs out first.
S molarity | Molarity and dilution | molar_mass | Calculates molarity from mass and volume and uses
    M₁V₁ = M₂V₂ for dilution. A typical error is using mL instead of L or taking the volume of
    solvent for the volume of solution.
T E | molar_mass | Calculate the number of moles in {m:4..100/2} g of {c:water (H₂O)|carbon dioxide
    (CO₂)|methane (CH₄)|sodium hydroxide (NaOH)|glucose (C₆H₁₂O₆)|ammonia (NH₃)}.
T E | avogadro molar_mass | How many molecules are present in {m:5..50/5} g of {c:water|carbon
    dioxide|methane|oxygen gas|ammonia}? (N_A = 6.022 {X} 10^23 mol^-1)
T M | avogadro | Calculate the number of atoms in (i) {n:2..60/2} mol of argon, (ii) {u:20..100/4} u
    of He and (iii) {g:20..100/4} g of He.
T M | empirical_formula | A compound contains {c:40..60}% carbon, {h:4..8}% hydrogen and the rest
    oxygen by mass. Determine its empirical formula.
T H | empirical_formula molar_mass | An oxide of {x:iron|copper|manganese|chromium|lead} contains
    {p:60..90}% metal by mass and has a molar mass of {M:70..240/10} g mol^-1. Determine its
    empirical and molecular formulae.
T M | stoichiometry chem:reactions:equations:balancing | Calculate the mass of carbon dioxide
    produced when {n:1..4} mol of carbon is burnt in {o:16..96/16} g of dioxygen.
T H | stoichiometry | In N₂(g) + 3H₂(g) → 2NH₃(g), calculate the mass of ammonia produced if
    {n:1..3} {X} 10^3 g of dinitrogen reacts with {h:0.5..1.5/0.25} {X} 10^3 g of dihydrogen. Will
    any reactant remain unreacted?
T E | molarity | Calculate the molarity of a solution containing {m:2..20} g of NaOH in
    {v:250..1000/250} mL of solution.
T E | molarity | What volume of {c:6..18/2} M HCl is needed to prepare {v:250..1000/250} mL of
    {d:0.1..1/0.1} M HCl by dilution?

== Chemistry | Structure of Atom | 11 | 2 | 2 | Bohr model and quantum numbers
    | chem:physical:atomic_structure | atomic-structure
S subatomic_particles | Atomic number, mass number and isotopes | - | Finds the numbers of
    protons, neutrons and electrons in atoms and ions from Z and A. Students forget to adjust the
    electron count for the charge of an ion.
S bohr_model | Bohr model of the hydrogen atom | subatomic_particles | Uses
    E = -2.18 {X} 10^-18 (Z^2/n^2) J and r = 52.9 (n^2/Z) pm for hydrogen-like species. Learners
    drop the negative sign of the energy or forget the Z^2 factor for He⁺ and Li²⁺.
S hydrogen_spectrum | Line spectrum of hydrogen | bohr_model | Applies the Rydberg formula to
    transitions and identifies the Lyman, Balmer, Paschen and Brackett series. Students swap the
    two levels and confuse the longest wavelength with the largest energy.
S quantum_numbers | Quantum numbers and electronic configuration | subatomic_particles | Uses
    n, l, m and s to label orbitals and count electrons, and writes configurations by the Aufbau
    principle. Typical errors are allowing l = n and mishandling Cr and Cu.
T E | subatomic_particles | Find the number of protons, neutrons and electrons in {i:bromine-80 (Z
    = 35)|chlorine-37 (Z = 17)|iron-56 (Z = 26)|uranium-238 (Z = 92)|sodium-23 (Z = 11)|calcium-40
    (Z = 20)|zinc-65 (Z = 30)} and in its {c:unipositive|dipositive|uninegative} ion.
T M | subatomic_particles | An element with mass number {a:56|81|127} contains {p:20..35}.{q:1..9}%
    more neutrons than protons. Find its atomic number and symbol.
T M | bohr_model | Calculate the energy of the electron in the orbit n = {n:2..6} of a hydrogen
    atom and the radius of that orbit.
T H | bohr_model subatomic_particles | Calculate the energy needed to remove the electron from the
    orbit n = {n:2..5} of {s:He⁺|Li²⁺} and express it in J mol^-1.
T M | hydrogen_spectrum | Find the wavelength of light emitted when the electron in a hydrogen
    atom falls from n = {a:4..7} to n = {b:1..3}. In which region of the spectrum does it lie?
T H | hydrogen_spectrum bohr_model | Calculate the wavenumber of the {q:longest|shortest} wavelength
    transition in the {s:Lyman|Balmer|Paschen|Brackett} series of atomic hydrogen.
T E | quantum_numbers | Write the electronic configuration of {e:Cr (Z = 24)|Cu (Z = 29)|Fe³⁺ (Z =
    26)|S²⁻ (Z = 16)|Mn (Z = 25)|Zn²⁺ (Z = 30)|K (Z = 19)|Ar (Z = 18)}.
T M | quantum_numbers | Using s, p, d, f notation, describe the orbital with quantum numbers
    {q:n = 1, l = 0|n = 3, l = 1|n = 4, l = 2|n = 4, l = 3|n = 5, l = 0|n = 3, l = 2|n = 2, l = 1}.
T H | quantum_numbers | How many electrons in an atom may have the quantum numbers {q:n = 4, s =
    -1/2|n = 3, l = 0|n = 3, l = 2|n = 5, l = 1|n = 4, l = 3, m = -2|n = 3, l = 1, m = 0}?

== Chemistry | Equilibrium | 11 | 6 | 6 | Equilibrium constants and Le Chatelier's principle
    | chem:physical:equilibrium | equilibrium
S kc_expression | Equilibrium constant expressions | chem:reactions:equations:balancing | Writes
    Kc and Kp from a balanced equation and evaluates them from equilibrium concentrations.
    Students include pure solids and liquids or forget the stoichiometric powers.
S kp_kc_relation | Relation between Kp and Kc | kc_expression | Uses Kp = Kc(RT)^Δn and ICE tables
    to find the equilibrium composition. Learners count all species instead of gaseous ones in Δn
    or use the wrong value of R.
S le_chatelier | Le Chatelier's principle | kc_expression | Predicts the shift of equilibrium on
    changing concentration, pressure or temperature or adding an inert gas. A common misconception
    is that a catalyst or an inert gas at constant volume shifts the equilibrium.
T E | kc_expression | Write the expression for Kc for the reaction: {r:2NOCl(g) ⇌ 2NO(g) + Cl₂(g)
    |2Cu(NO₃)₂(s) ⇌ 2CuO(s) + 4NO₂(g) + O₂(g)|CH₃COOC₂H₅(aq) + H₂O(l) ⇌ CH₃COOH(aq) + C₂H₅OH(aq)
    |Fe³⁺(aq) + 3OH⁻(aq) ⇌ Fe(OH)₃(s)|I₂(s) + 5F₂(g) ⇌ 2IF₅(g)|N₂(g) + 3H₂(g) ⇌ 2NH₃(g)}.
T M | kc_expression | At 800 K the equilibrium concentrations in N₂(g) + O₂(g) ⇌ 2NO(g) are
    [N₂] = {a:1.5..4.5/0.5} {X} 10^-3 M, [O₂] = {b:1..6/0.5} {X} 10^-3 M and
    [NO] = {c:1.5..3/0.1} {X} 10^-3 M. Calculate Kc.
T M | kp_kc_relation | For 2NOCl(g) ⇌ 2NO(g) + Cl₂(g), Kc = {k:2..6}.{d:1..9} {X} 10^-{e:5..7} at
    {t:500..1100/100} K. Calculate Kp at the same temperature.
T H | kp_kc_relation kc_expression | Pure PCl₅ is introduced into an evacuated vessel at
    {t:473|500|523} K. At equilibrium [PCl₅] = {c:0.3..0.8/0.1} {X} 10^-1 mol L^-1. If
    Kc = {k:8.3|2.5|1.8} {X} 10^-3, find the equilibrium concentrations of PCl₃ and Cl₂.
T E | le_chatelier | How will the equilibrium {r:N₂(g) + 3H₂(g) ⇌ 2NH₃(g)|H₂(g) + I₂(g) ⇌ 2HI(g)
    |PCl₅(g) ⇌ PCl₃(g) + Cl₂(g)|CaCO₃(s) ⇌ CaO(s) + CO₂(g)} be affected by {c:increasing the
    pressure|adding an inert gas at constant volume|adding a catalyst|removing a product}?
T M | le_chatelier | Describe the effect of (a) adding {x:H₂|CO} and (b) removing CH₃OH on
    the equilibrium 2H₂(g) + CO(g) ⇌ CH₃OH(g) at {t:500..600/25} K.
T H | le_chatelier kp_kc_relation | For N₂(g) + 3H₂(g) ⇌ 2NH₃(g), Kp = {k:1.1..9.9/0.1} {X} 10^-5
    at {t:700..800/25} K. Calculate Kc and predict the effect of raising the temperature on the
    yield of ammonia (ΔH < 0).

== Chemistry | Equilibrium | 11 | 6 | 6 | Ionic equilibrium and pH
    | chem:physical:ionic_equilibrium | ionic-equilibrium
S ph_calculation | pH of strong acids and bases | chem:physical:mole_concept:molarity | Calculates
    pH and pOH from hydrogen or hydroxide ion concentration, including after mixing acids and
    bases. Students forget that pH + pOH = 14 at 298 K and take the logarithm with the wrong sign.
S weak_acid_dissociation | Ionisation of weak acids | ph_calculation
    chem:physical:equilibrium:kc_expression | Uses Ka = c{alpha}^2/(1 - {alpha}) to find the
    degree of ionisation and pH of weak acids. Learners treat weak acids as fully ionised or
    approximate when {alpha} is not small.
S solubility_product | Solubility product | chem:physical:equilibrium:kc_expression | Relates Ksp
    to molar solubility and compares the ionic product with Ksp to predict precipitation. Students
    forget stoichiometric powers for salts like CaF₂ and ignore dilution on mixing.
T E | ph_calculation | Calculate the pH of a {c:0.001|0.01|0.005|0.05|0.02|0.1} M solution of
    {a:HCl|HNO₃|NaOH|KOH}.
T M | ph_calculation chem:physical:mole_concept:molarity | Calculate the pH of a solution made by
    dissolving {m:1..5} g of NaOH in water to give {v:250..1000/250} mL of solution.
T E | ph_calculation | The hydrogen ion concentration of a sample of {s:soft drink|lemon juice
    |tomato juice|black coffee|milk} is {a:1..9}.{b:0..9} {X} 10^-{e:3..6} M. What is its pH?
T M | weak_acid_dissociation | Calculate the degree of ionisation and pH of a {c:0.01..0.1/0.01} M
    solution of {a:acetic acid (Ka = 1.74 {X} 10^-5)|formic acid (Ka = 1.8 {X} 10^-4)|HOCl (Ka =
    3.5 {X} 10^-8)|nitrous acid (Ka = 4.5 {X} 10^-4)|benzoic acid (Ka = 6.5 {X} 10^-5)}.
T M | weak_acid_dissociation | The pH of a {c:0.01..0.1/0.01} M solution of a monobasic weak acid
    is {p:3.5..4.5/0.1}. Calculate its Ka and pKa.
T H | ph_calculation chem:physical:mole_concept:molarity | Calculate the pH of the mixture of
    {v1:10..20/5} mL of 0.{c1:1..2} M H₂SO₄ and {v2:10..30/5} mL of 0.{c2:1..2} M KOH.
T M | solubility_product | Calculate the molar solubility in pure water at 298 K of {s:AgCl (Ksp =
    1.8 {X} 10^-10)|BaSO₄ (Ksp = 1.1 {X} 10^-10)|CaF₂ (Ksp = 5.3 {X} 10^-9)|Ag₂CrO₄ (Ksp = 1.1
    {X} 10^-12)|PbI₂ (Ksp = 7.1 {X} 10^-9)|Ni(OH)₂ (Ksp = 2.0 {X} 10^-15)}.
T H | solubility_product | Equal volumes of {a:0.001..0.005/0.001} M AgNO₃ and
    {b:0.001..0.005/0.001} M NaCl are mixed. Will AgCl precipitate? (Ksp of AgCl = 1.8 {X} 10^-10)

== Chemistry | Solutions | 12 | 1 | 1 | Concentration terms and colligative properties
    | chem:physical:solutions | solutions
S concentration_terms | Mole fraction and molality | chem:physical:mole_concept:molarity |
    Expresses solution composition as mass percentage, mole fraction and molality. A common slip
    is dividing by the mass of solution instead of the mass of solvent for molality.
S raoults_law | Raoult's law and vapour pressure | concentration_terms | Applies Raoult's law to
    ideal mixtures and to the relative lowering of vapour pressure by a non-volatile solute.
    Students mix up the mole fraction in the liquid with that in the vapour.
S colligative_properties | Colligative properties | concentration_terms | Uses boiling point
    elevation, freezing point depression and osmotic pressure to find the property or the molar
    mass of a solute. Students forget to convert grams of solvent to kg or °C to kelvin.
S vant_hoff_factor | van't Hoff factor | colligative_properties | Corrects colligative properties
    for dissociation or association using i. Learners take i = 1 for electrolytes or miscount the
    ions formed by salts like Al₂(SO₄)₃.
T E | concentration_terms | Calculate the mole fraction of {s:ethylene glycol (C₂H₆O₂)|methanol
    (CH₃OH)|ethanol (C₂H₅OH)|urea (NH₂CONH₂)} in a {p:10..40/5}% by mass aqueous solution.
T M | concentration_terms chem:physical:mole_concept:molarity | Calculate the molality and molarity
    of a solution of {m:2..20/2} g of {s:urea|glucose|sucrose} in {w:100..500/50} g of water
    (density {d:1.01..1.08/0.01} g mL^-1).
T H | raoults_law | The vapour pressure of pure benzene is {p:0.850|0.800|0.750} bar. A
    non-volatile solid weighing {m:0.5..2/0.5} g lowers the vapour pressure of {w:39..78/13} g of
    benzene by {dp:0.005..0.03/0.005} bar. What is the molar mass of the solid?
T M | raoults_law | The vapour pressures of pure liquids A and B are
    {pa:400..600/50} and {pb:700..900/50} mm Hg at 350 K. Find the total vapour pressure and the
    vapour composition for a mixture with mole fraction of A = {x:0.2..0.8/0.1}.
T E | colligative_properties | What is the boiling point of a 0.{m:1..5} m aqueous solution of a
    non-electrolyte? (Kb = 0.52 K kg mol^-1)
T M | colligative_properties | {m:1..5} g of a non-electrolyte dissolved in {w:50..100/10} g of
    benzene lowers its freezing point by {dt:0.2..0.8/0.1} K. Kf for benzene is 5.12 K kg mol^-1.
    Find the molar mass of the solute.
T M | colligative_properties | Calculate the osmotic pressure of a solution of {m:0.5..2/0.5} g of
    a polymer of molar mass {M:100000..200000/25000} g mol^-1 in {v:250..1000/250} mL of water at
    {t:27|37} °C.
T E | vant_hoff_factor | What is the van't Hoff factor of {s:K₂SO₄|NaCl|Al₂(SO₄)₃|glucose in
    water|acetic acid in benzene|MgCl₂|K₄[Fe(CN)₆]}, assuming complete dissociation or
    association?
T H | vant_hoff_factor | Find the amount of CaCl₂ (i = {i:2.47|2.45|2.6})
    dissolved in {v:1..3} L of water such that its osmotic pressure is {p:0.5..1.5/0.25} atm at
    27 °C.
T H | vant_hoff_factor colligative_properties | Calculate the freezing point of a solution of
    {m:5..20/5} g of {s:NaCl|KCl|MgCl₂|K₂SO₄} in {w:100..500/100} g of water, assuming complete
    dissociation. (Kf = 1.86 K kg mol^-1)
"""


# ----------------------------------------------------------------------------- generators


def poly(a: int, b: int, c: int) -> str:
    """Format a*x^2 + b*x + c, e.g. poly(2, -5, 3) == '2x^2 - 5x + 3'."""
    out = ""
    for coef, power in ((a, "x^2"), (b, "x"), (c, "")):
        if coef == 0:
            continue
        size = "" if abs(coef) == 1 and power else str(abs(coef))
        sign = ("-" if coef < 0 else "") if not out else (" - " if coef < 0 else " + ")
        out += f"{sign}{size}{power}"
    return out


def nonzero(rng: random.Random, lo: int, hi: int) -> int:
    return rng.choice([v for v in range(lo, hi + 1) if v != 0])


def gen_monic(rng: random.Random) -> dict[str, Any]:
    r1, r2 = rng.sample([v for v in range(-9, 10) if v != 0], 2)
    return {"q": poly(1, -(r1 + r2), r1 * r2)}


def gen_nonmonic(rng: random.Random) -> dict[str, Any]:
    p, m, n = rng.randint(2, 6), nonzero(rng, -9, 9), nonzero(rng, -6, 6)
    return {"q": poly(p, -(p * n + m), m * n)}  # (px - m)(x - n)


def gen_general(rng: random.Random) -> dict[str, Any]:
    return {"q": poly(rng.randint(1, 5), nonzero(rng, -9, 9), nonzero(rng, -9, 9))}


def gen_consecutive(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["odd", "even"])
    n = 2 * rng.randint(4, 24) + (kind == "odd")
    return {"kind": kind, "prod": n * (n + 2)}


def gen_limit_rational(rng: random.Random) -> dict[str, Any]:
    a = rng.randint(1, 5)
    s, t = rng.sample([v for v in range(-6, 7) if v not in (0, a)], 2)
    return {"a": a, "num": poly(1, -(a + s), a * s), "den": poly(1, -(a + t), a * t)}


def gen_limit_power(rng: random.Random) -> dict[str, Any]:
    a, n = rng.randint(2, 4), rng.randint(3, 7)
    return {"a": a, "n": n, "an": a**n}


GENERATORS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "monic": gen_monic,
    "nonmonic": gen_nonmonic,
    "general": gen_general,
    "consecutive": gen_consecutive,
    "limit_rational": gen_limit_rational,
    "limit_power": gen_limit_power,
}


# ----------------------------------------------------------------------------- parsing


def resolve(prefix: str, ref: str) -> str:
    return ref if ":" in ref else f"{prefix}:{ref}"


def parse_table(table: str) -> list[dict[str, Any]]:
    """Parse one subject table (see the module docstring) into topic dicts."""
    table = re.sub(r"\{(X|alpha|rho)\}", lambda m: SYMBOLS[m.group(1)], table)
    entries: list[str] = []
    for line in table.splitlines():
        if line.startswith(" ") and line.strip():
            entries[-1] += " " + line.strip()
        elif line.strip():
            entries.append(line.strip())
    topics: list[dict[str, Any]] = []
    for entry in entries:
        kind, _, rest = entry.partition(" ")
        fields = [f.strip() for f in rest.split(" | ")]
        if kind == "==":
            subject, chapter, grade, chapter_no, exercise, topic, prefix, slug = fields
            topics.append(
                {"subject": subject, "chapter": chapter, "grade": int(grade),
                 "chapter_no": chapter_no, "exercise": exercise, "topic": topic,
                 "prefix": prefix, "slug": slug, "skills": [], "templates": []}
            )  # fmt: skip
        elif kind == "S":
            local, name, prereqs, description = fields
            prefix = topics[-1]["prefix"]
            topics[-1]["skills"].append(
                {"skill_id": resolve(prefix, local), "name": name,
                 "description": description,
                 "prerequisites": [resolve(prefix, p) for p in prereqs.split() if p != "-"]}
            )  # fmt: skip
        elif kind == "T":
            label, skills, text, *gen = fields
            topics[-1]["templates"].append(
                {"label": LABELS[label], "text": text, "gen": gen[0][1:] if gen else None,
                 "skills": [resolve(topics[-1]["prefix"], s) for s in skills.split()]}
            )  # fmt: skip
        else:
            raise ValueError(f"unparseable table entry: {entry[:60]!r}")
    return topics


# ----------------------------------------------------------------------------- items


def draw(spec: str, rng: random.Random) -> str:
    """Draw one value for a placeholder spec: 'a|b|c', 'lo..hi' or 'lo..hi/step'."""
    if "|" in spec:
        return rng.choice([s.strip() for s in spec.split("|")])
    bounds, _, step = spec.partition("/")
    lo, hi = bounds.split("..")
    step = step or "1"
    decimals = max(len(s.partition(".")[2]) for s in (lo, hi, step))
    scale = 10**decimals
    start, stop, inc = (round(float(s) * scale) for s in (lo, hi, step))
    text = f"{rng.randrange(start, stop + 1, inc) / scale:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fill(template: dict[str, Any], rng: random.Random) -> str:
    values = GENERATORS[template["gen"]](rng) if template["gen"] else {}

    def substitute(match: re.Match[str]) -> str:
        name, spec = match.groups()
        if spec is not None:
            values[name] = draw(spec, rng)
        return str(values[name])

    return PLACEHOLDER_RE.sub(substitute, template["text"])


def pyq_exams(topic: dict[str, Any]) -> list[str]:
    if topic["grade"] <= 9:
        return ["ntse"]
    if topic["grade"] == 10:
        return ["cbse"]
    exams = ["jee"] if topic["subject"] == "Mathematics" else ["jee", "neet"]
    return [*exams, "cbse"] if topic["grade"] == 12 else exams


def make_item_id(
    topic: dict[str, Any], source: str, rng: random.Random, counters: Counter[str], used: set[str]
) -> str:
    grade, abbr = topic["grade"], SUBJECT_ABBR[topic["subject"]]
    if source == "pyq":
        while True:
            exam, year = rng.choice(pyq_exams(topic)), rng.randint(2015, 2024)
            paper = rng.randint(1, 2) if exam == "jee" else 1
            item_id = f"pyq-{exam}-{year}-p{paper}-{rng.randint(1, 90)}"
            if item_id not in used:
                return item_id
    prefix = {
        "ncert_exercise": f"ncert-ex-{grade}-{topic['exercise']}",
        "ncert_example": f"ncert-eg-{grade}-{topic['chapter_no']}",
        "video_quiz": f"vq-{abbr}-{topic['slug']}",
    }[source]
    counters[prefix] += 1
    number = counters[prefix]
    return f"{prefix}-{number:02d}" if source == "video_quiz" else f"{prefix}-{number}"


def make_items(
    topic: dict[str, Any], rng: random.Random, counters: Counter[str], used: dict[str, set[str]]
) -> list[dict[str, Any]]:
    templates = topic["templates"]
    items = []
    for index in range(max(MIN_ITEMS_PER_TOPIC, 3 * len(templates))):
        template = templates[index % len(templates)]
        for _ in range(200):
            text = fill(template, rng)
            if text not in used["texts"]:
                break
        else:
            raise SystemExit(f"cannot draw a fresh question from: {template['text'][:60]!r}")
        label = template["label"]
        source = rng.choices(SOURCES, weights=SOURCE_WEIGHTS[label])[0]
        marks = rng.choice(MARKS[label])
        if source == "video_quiz":
            marks = min(marks, 2)
        seconds = (BASE_SECONDS[label] + SECONDS_PER_MARK[label] * marks) * rng.uniform(0.85, 1.15)
        skills: dict[str, int | None] = dict.fromkeys(template["skills"])
        if rng.random() < EXPLICIT_ELO_SHARE:
            skills[template["skills"][0]] = 10 * (rng.randint(*ELO_RANGE[label]) // 10)
        item_id = make_item_id(topic, source, rng, counters, used["ids"])
        used["ids"].add(item_id)
        used["texts"].add(text)
        items.append(
            {"item_id": item_id, "source": source, "subject": topic["subject"],
             "chapter": topic["chapter"], "topic": topic["topic"], "grade": topic["grade"],
             "difficulty_label": label,
             "expected_time_seconds": min(900, max(30, 10 * round(seconds / 10))),
             "marks": marks, "text": text, "skills": skills}
        )  # fmt: skip
    return items


# ----------------------------------------------------------------------------- checks


def topological_order(skills: list[dict[str, Any]]) -> list[str]:
    """Kahn's algorithm; fails loudly on unknown prerequisites or a cycle."""
    known = {s["skill_id"] for s in skills}
    indegree = {s["skill_id"]: len(s["prerequisites"]) for s in skills}
    dependants: dict[str, list[str]] = defaultdict(list)
    for skill in skills:
        for prereq in skill["prerequisites"]:
            if prereq not in known:
                raise SystemExit(f"{skill['skill_id']}: unknown prerequisite {prereq}")
            dependants[prereq].append(skill["skill_id"])
    ready = [sid for sid, degree in indegree.items() if degree == 0]
    order = []
    while ready:
        sid = ready.pop()
        order.append(sid)
        for dependant in dependants[sid]:
            indegree[dependant] -= 1
            if indegree[dependant] == 0:
                ready.append(dependant)
    if len(order) != len(skills):
        raise SystemExit(f"prerequisite cycle among: {sorted(set(known) - set(order))}")
    return order


def check(skills: list[dict[str, Any]], items: list[dict[str, Any]]) -> None:
    def require(ok: bool, message: str) -> None:
        if not ok:
            raise SystemExit(f"sample bank check failed: {message}")

    ids = [s["skill_id"] for s in skills]
    require(len(ids) == len(set(ids)), "duplicate skill ids")
    require(all(SKILL_ID_RE.match(sid) for sid in ids), "malformed skill id")
    require(len(ids) >= 45, "fewer than 45 skills")
    for skill in skills:
        prereqs = skill["prerequisites"]
        require(len(prereqs) == len(set(prereqs)), f"{skill['skill_id']}: repeated prerequisite")
    require(sum(len(s["prerequisites"]) for s in skills) >= 30, "fewer than 30 edges")
    topological_order(skills)
    require(len(items) >= 360, "fewer than 360 items")
    require(len({i["item_id"] for i in items}) == len(items), "duplicate item ids")
    per_topic = Counter((i["subject"], i["chapter"], i["topic"]) for i in items)
    require(len(per_topic) >= 12 and min(per_topic.values()) >= 20, "topic coverage")
    require(len({i["subject"] for i in items}) >= 3, "fewer than 3 subjects")
    per_skill = Counter(sid for i in items for sid in i["skills"])
    require(set(per_skill) <= set(ids), "item tests an unknown skill")
    thin = [sid for sid in ids if per_skill[sid] < 4]
    require(not thin, f"skills tested by fewer than 4 items: {thin}")
    for item in items:
        require(item["source"] in SOURCES and 6 <= item["grade"] <= 12, item["item_id"])
        require(
            30 <= item["expected_time_seconds"] <= 900 and 1 <= item["marks"] <= 6, item["item_id"]
        )
        elos = [v for v in item["skills"].values() if v is not None]
        require(all(900 <= v <= 1600 for v in elos) and bool(item["skills"]), item["item_id"])


# ----------------------------------------------------------------------------- main


def main() -> None:
    rng = random.Random(SEED)
    topics = [t for table in (MATHEMATICS, PHYSICS, CHEMISTRY) for t in parse_table(table)]
    skills = [skill for topic in topics for skill in topic["skills"]]
    counters: Counter[str] = Counter()
    used: dict[str, set[str]] = {"ids": set(), "texts": set()}
    items = [item for topic in topics for item in make_items(topic, rng, counters, used)]
    check(skills, items)
    OUT_PATH.parent.mkdir(parents=True, exist_ok=True)
    with OUT_PATH.open("w", encoding="utf-8") as handle:
        json.dump({"skills": skills, "items": items}, handle, indent=1, ensure_ascii=False)
        handle.write("\n")

    multi = sum(len(i["skills"]) > 1 for i in items)
    explicit = sum(any(v is not None for v in i["skills"].values()) for i in items)
    print(f"wrote {OUT_PATH}")
    print(f"subjects: {len({t['subject'] for t in topics})}")
    print(f"chapters: {len({(t['subject'], t['chapter']) for t in topics})}")
    print(f"topics: {len(topics)}")
    print(f"skills: {len(skills)}")
    print(f"prerequisite edges: {sum(len(s['prerequisites']) for s in skills)}")
    print(f"items: {len(items)}")
    print(f"multi-skill items: {multi} ({100 * multi / len(items):.0f}%)")
    print(f"items with an explicit initial difficulty: {explicit}")
    for field in ("subject", "source", "difficulty_label"):
        counts = Counter(i[field] for i in items)
        print(f"items per {field}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
