"""The Workflows pages (issue 19, point 5): for safeguarding leads and administrators only,
each process drawn as an SVG made by the project in Python, in plain labels."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from django.utils.html import escape

from casework.roles import Role
from workflows import diagrams
from workflows.registry import WORKFLOWS

SVG = "{http://www.w3.org/2000/svg}"
MENU_LINK = 'href="/workflows/"'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "team_slugs", "sees"),
    [
        (Role.FRONTLINE, ["north"], False),
        (Role.LEAD, ["north"], True),
        (Role.PREVENT_LEAD, ["north"], True),
        (Role.AUDITOR, [], False),
        (Role.ADMINISTRATOR, [], True),
        (Role.ANALYST, [], False),
    ],
)
def test_only_leads_and_administrators_have_the_menu_link_and_the_pages(
    client, make_user, role, team_slugs, sees
):
    client.force_login(make_user(f"user.{role}", role, team_slugs))
    home = client.get("/").content.decode()
    assert (MENU_LINK in home) is sees
    for url in ("/workflows/", "/workflows/cuckooing/"):
        response = client.get(url)
        assert response.status_code == (200 if sees else 403), url
        if not sees:
            page = response.content.decode()
            assert "for safeguarding leads and administrators" in page
            assert "<svg" not in page


def svg_elements(page: str) -> list[ElementTree.Element]:
    found = re.findall(r"<svg xmlns=.*?</svg>", page, re.S)
    return [ElementTree.fromstring(svg) for svg in found]  # noqa: S314 - our own page


@pytest.mark.django_db
@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_each_process_is_an_accessible_svg_with_every_stage_and_step(client, lead, case_type):
    workflow = WORKFLOWS[case_type]
    client.force_login(lead)
    page = client.get(f"/workflows/{case_type}/").content.decode()
    svgs = svg_elements(page)
    assert len(svgs) == 1 + len(workflow.sub_processes)
    main = svgs[0]
    assert main.get("role") == "img"
    title = main.find(f"{SVG}title")
    assert title is not None
    assert workflow.label.lower() in title.text
    labelled_by = main.get("aria-labelledby").split()
    assert title.get("id") in labelled_by
    boxes = [g for g in main.iter(f"{SVG}g") if g.get("class") == "app-diagram__stage"]
    box_text = [" ".join(t.text for t in g.findall(f"{SVG}text")) for g in boxes]
    assert box_text == [label for _, label in workflow.states.choices]
    arrows = [g for g in main.iter(f"{SVG}g") if g.get("class") == "app-diagram__step"]
    pairs = {(e.source, e.target) for e in diagrams.edges(workflow) if not e.self_loop}
    pairs = {p for p in pairs if "." not in p[0]}  # a process beside has its own diagram
    assert len(arrows) == len(pairs)
    # The steps in words beside the diagram: every step's label.
    for name in workflow.transition_names():
        assert escape(workflow.transition_meta(name)["label"]) in page


@pytest.mark.django_db
@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_labels_are_plain_no_state_names_codenames_or_citations(client, lead, case_type):
    workflow = WORKFLOWS[case_type]
    client.force_login(lead)
    page = client.get(f"/workflows/{case_type}/").content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", " ", main, flags=re.S))
    assert "casework." not in text
    assert "RULES.md" not in text
    assert "§" not in text
    assert not re.search(r"\[(S\d+|P|U)\]", text)
    for name in [*workflow.states.values, *workflow.transition_names()]:
        if "_" in name:
            assert not re.search(rf"\b{name}\b", text), name
    assert "<code" not in main


def test_the_layout_puts_the_start_first_and_the_ends_last():
    graph = diagrams.main_graph(WORKFLOWS["modern_slavery"])
    layers = diagrams._layers(graph)
    assert layers[graph.initial] == 0
    last = max(layers.values())
    for state in graph.terminal:
        assert layers[state] == last
    assert all(0 < layers[s] < last for s, _ in graph.states if s != graph.initial
               and s not in graph.terminal)  # fmt: skip


def test_a_label_with_markup_characters_is_escaped():
    graph = diagrams.Graph(
        key="demo", title='Demo <"process"> & more', states=[("a", "A & <B>"), ("b", "End")],
        initial="a", terminal=frozenset({"b"}), arrows=[("a", "b", "Go <now>")],
    )  # fmt: skip
    svg = diagrams.render_svg(graph)
    root = ElementTree.fromstring(svg)  # noqa: S314 - made here
    assert root.find(f"{SVG}title").text == 'Demo <"process"> & more'
    assert "A &amp; &lt;B&gt;" in svg
