"""The console end to end in a real headless browser (Debian's chromium driven by Playwright):
load the page, classify a scam and a normal message, correct one verdict in one click, see the
correction listed. The page must make no request outside the service and raise no script
error. A screenshot is saved in the test's directory, and also to $FANZHA_CONSOLE_SCREENSHOT
when that is set (e.g. results/console.png).

Needs `pip install playwright` (the Python package only: never `playwright install`, which
downloads a browser) and a chromium binary: /usr/bin/chromium (Debian: apt-get install
chromium) or $FANZHA_CHROMIUM. Skips, saying which is missing, otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service_helpers import ThreadServer, thread_server

# locator assertions (`expect`) wait without evaluating strings in the page, which the
# console's Content-Security-Policy (no unsafe-eval) would refuse
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install playwright (the package, not its browsers)"
)
expect = sync_api.expect

REPO = Path(__file__).resolve().parents[1]
SCAM = "我是杭州公安局民警，你的账户涉嫌洗钱，请把钱转入安全账户，联系电话13800138000"
NORMAL = "您的验证码是4821，5分钟内有效，请勿泄露给他人。"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str:
    candidates = [
        os.environ.get("FANZHA_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium chromium-driver)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture()
def server(tiny_model_dir: Path, tmp_path: Path) -> Iterator[ThreadServer]:
    with thread_server(
        tiny_model_dir,
        database_url=f"sqlite:///{tmp_path}/console.sqlite3",
        rules_file=REPO / "rules/example.yaml",
    ) as srv:
        yield srv


def test_classify_correct_and_see_it_listed(
    browser: Any, server: ThreadServer, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    page.goto(server.url + "/")
    expect(page.locator("#model-version")).to_have_text(re.compile("^fanzha"))
    page.fill("#analyst", "张三")
    page.fill("#messages", f"{SCAM}\n{NORMAL}")
    page.click("#classify-btn")
    page.wait_for_selector(".result >> nth=1")

    scam, normal = page.locator(".result").all()
    assert scam.get_attribute("data-label") == "impersonate_authority"
    assert "拦截" in scam.locator(".head").inner_text()
    assert scam.locator("mark.k-phone").inner_text() == "13800138000"  # evidence highlighted
    assert "safe-account" in scam.locator(".rulehits").inner_text()  # the rule says why
    assert normal.get_attribute("data-label") == "normal"
    assert "放行" in normal.locator(".head").inner_text()

    normal.locator("input.note").fill("其实是营销短信")
    normal.locator("select.correct-label").select_option("marketing")  # one click: submitted
    expect(normal.locator(".fb-state")).to_have_text(re.compile("^已记录：营销推广"))
    screenshot = tmp_path / "console.png"
    page.screenshot(path=str(screenshot), full_page=True)

    page.click("#tabs button[data-tab=feedback]")
    row = page.locator("#feedback-table tbody tr").first
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == NORMAL and cells[2].startswith("营销推广")
    assert cells[3].startswith("正常") and cells[4] == "张三" and cells[6] == "其实是营销短信"
    page.screenshot(path=str(tmp_path / "console-feedback.png"), full_page=True)

    page.click("#tabs button[data-tab=live]")
    expect(page.locator("#label-dist")).to_contain_text("冒充公检法")

    assert screenshot.stat().st_size > 10_000
    wanted = os.environ.get("FANZHA_CONSOLE_SCREENSHOT")
    if wanted:
        Path(wanted).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, wanted)
    outside = [u for u in requests if not u.startswith((server.url, "data:"))]
    assert outside == [], outside
    assert problems == [], problems
    page.close()


def test_a_rule_added_in_the_console_applies_and_a_bad_one_is_explained(
    browser: Any, server: ThreadServer
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(server.url + "/")
    expect(page.locator("#model-version")).to_have_text(re.compile("^fanzha"))
    page.click("#tabs button[data-tab=rules]")
    expect(page.locator("#rules-table tbody tr").first).to_contain_text("allow-official")

    form = page.locator("#rule-form")
    form.locator("input[name=id]").fill("broken-regex")
    form.locator("select[name=kind]").select_option("regex")
    form.locator("input[name=pattern]").fill("(幸运")
    form.locator("select[name=suggestion]").select_option("block")
    form.locator("input[name=reason]").fill("测试")
    form.locator("button[type=submit]").click()
    expect(page.locator("#rule-form-msg")).to_contain_text("invalid regular expression")

    form.locator("input[name=id]").fill("lucky")
    form.locator("select[name=kind]").select_option("keyword")
    form.locator("textarea[name=keywords]").fill("幸运大奖，速领")
    form.locator("select[name=label]").select_option("phishing_prize")
    form.locator("input[name=reason]").fill("中奖钓鱼新话术")
    form.locator("button[type=submit]").click()
    expect(page.locator("#rule-form-msg")).to_have_text("已新增，立即生效")
    expect(page.locator("#rules-table")).to_contain_text("中奖钓鱼新话术")

    page.click("#tabs button[data-tab=classify]")
    page.fill("#messages", "恭喜您获得幸运大奖，请点击领取")
    page.click("#classify-btn")
    result = page.locator(".result").first
    expect(result.locator(".rulehits")).to_contain_text("规则 lucky")
    assert result.get_attribute("data-label") == "phishing_prize"
    assert problems == [], problems
    page.close()
