package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import redis.clients.jedis.StreamEntryID;

/**
 * The console at {@code /ui}, clicked through in a real browser (headless Chromium through
 * chromedriver, Debian's {@code chromium} and {@code chromium-driver}: {@code .ci/run} installs
 * them; without them this test fails, it does not skip) against the real trio: the overview with
 * the nodes and the pipeline's DAG, a task's page, the rejected messages (one with a script in its
 * id, shown as text), a dead item replayed with the admin token and seen delivered, a step
 * suspended and resumed; and the overview on a phone-sized window. Screenshots of each page go to
 * {@code docs/console/}.
 */
@WithServices
class ConsoleBrowserIT {
  private static final String TOKEN = "e2e-console-token";
  private static final String HOSTILE_ID = "<script>alert(1)</script>";
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SHOTS = Repo.root().resolve("docs/console");

  private List<DaemonProcess> daemons = List.of();
  private WebDriver browser;

  @AfterEach
  void stopEverything() throws InterruptedException {
    if (browser != null) {
      browser.quit();
    }
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void anOperatorReplaysADeadItemAndSuspendsAStepFromTheConsoleWithTheToken(
      TestServices services, @TempDir Path dir) throws Exception {
    assertThat(CHROMIUM)
        .as("headless Chromium (apt-get install chromium chromium-driver; .ci/run does)")
        .isExecutable();
    assertThat(CHROMEDRIVER).as("chromedriver (apt-get install chromium-driver)").isExecutable();
    Path pipelines = Files.createDirectories(dir.resolve("pipelines"));
    Path fixed = dir.resolve("fixed");
    Files.writeString(
        pipelines.resolve("check.py"),
        """
        import json, os, sys
        options = json.loads(os.environ.get("CONVEYOR_STEP_OPTIONS") or "{}")
        for line in sys.stdin:
            text = json.loads(line)["input"]["text"]
            if "BROKEN" in text and not os.path.exists(options["fixed"]):
                print(json.dumps({"ok": False, "error": "not fixed yet: <b>BROKEN</b>"}), flush=True)
            else:
                print(json.dumps({"ok": True, "data": {"text": "checked:" + text}}), flush=True)
        """);
    Files.writeString(
        pipelines.resolve("console.yaml"),
        """
        pipeline: console
        version: 1
        split: {mode: none}
        defaults: {offset: 200ms}
        steps:
          - name: check
            kind: command
            command: [python3, check.py]
            retry: {attempts: 1, backoff: 100ms}
            options: {fixed: "%s"}
          - name: deliver
            kind: sink
            after: [check]
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """
            .formatted(fixed));
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    env.put("CONVEYOR_PATROL_INTERVAL", "500ms");
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/console");
    DaemonProcess patrol = new DaemonProcess("patrol", env, logs);
    daemons =
        List.of(
            new DaemonProcess("dispatcher", env, logs),
            new DaemonProcess("processor", env, logs),
            patrol);
    daemons.forEach(DaemonProcess::start);
    browser = chromium();
    await()
        .atMost(60, SECONDS)
        .untilAsserted(() -> assertThat(daemons).allMatch(DaemonProcess::healthy));

    publish(services, "console", "ok-1", "{\"text\":\"all good\"}");
    publish(services, "console", "bad-1", "{\"text\":\"BROKEN until fixed\"}");
    publish(services, "nope", "rej-1", "{\"text\":\"no such pipeline\"}");
    publish(services, "console", HOSTILE_ID, "{\"text\":\"hostile id\"}");
    await()
        .atMost(30, SECONDS)
        .pollInterval(Duration.ofMillis(300))
        .untilAsserted(() -> {
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items")).isEqualTo(1);
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.rejected_messages"))
              .isEqualTo(2);
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.echo_rows")).isEqualTo(1);
        });
    String ui = "http://127.0.0.1:" + patrol.port() + "/ui";

    // reads need no token: the overview, with every node and the pipeline's DAG
    browser.get(ui);
    await()
        .atMost(20, SECONDS)
        .ignoreExceptions()
        .untilAsserted(() -> {
          assertThat(browser.findElements(By.cssSelector("#nodes tbody tr"))).hasSize(3);
          assertThat(text("#nodes")).contains("dispatcher", "processor", "patrol", "RUNNING");
          assertThat(text("[data-step='console.check'] .dead")).isEqualTo("1");
          assertThat(text("[data-step='console.check']")).contains("RUNNING");
          assertThat(text("[data-step='console.deliver']")).contains("after check");
          // a rate once the page has refreshed (the console's second look at the counters)
          assertThat(text("[data-step='console.check']")).containsPattern("rate\\s+[0-9.]+/s");
        });
    // a p99 once a task went through between two looks (the growth of the item time buckets).
    // why: a task can fall where no pair of looks sees its growth (a flaky failure in CI); another
    // task follows every 5 s until one is seen
    boolean shown = false;
    for (int i = 2; i < 8 && !shown; i++) {
      publish(services, "console", "ok-" + i, "{\"text\":\"all good again\"}");
      try {
        await()
            .atMost(5, SECONDS)
            .pollInterval(Duration.ofMillis(100))
            .ignoreExceptions()
            .untilAsserted(() ->
                assertThat(text("[data-step='console.check']"))
                    .containsPattern("p99\\s+[0-9.]+ m?s"));
        shown = true;
      } catch (ConditionTimeoutException e) {
        // the next task
      }
    }
    assertThat(shown).as("a p99 on the overview after one of six tasks").isTrue();
    screenshot("overview");

    // a task's page: its timeline and the dead item's error, as text
    browser.get(ui + "/tasks/bad-1");
    assertThat(text("#timeline")).contains("queued (received)");
    assertThat(text("#task-dead")).contains("not fixed yet: <b>BROKEN</b>");
    screenshot("task");

    // rejected messages, filterable; the script in an id is only text
    browser.get(ui + "/rejected");
    assertThat(text("#rejected")).contains("unknown_pipeline", "bad_id", HOSTILE_ID, "rej-1");
    assertThat(browser.findElements(By.cssSelector("main script"))).isEmpty();
    screenshot("rejected");
    browser.get(ui + "/rejected?reason=unknown_pipeline");
    assertThat(text("#rejected")).contains("unknown_pipeline").doesNotContain(HOSTILE_ID);

    // without the token an action is refused
    browser.get(ui + "/dead");
    assertThat(text("#dead")).contains("bad-1", "console.check");
    screenshot("dead-items");
    click("tr[data-task='bad-1'] form.action button");
    await().atMost(10, SECONDS).untilAsserted(() -> assertThat(text("#flash")).contains("401"));
    assertThat(post(patrol.port(), "/ui/actions/suspend", "{\"target\":\"processor\"}"))
        .as("a POST without the token")
        .isEqualTo(401);

    // with the token (once per browser session) the replay goes through and the task is delivered
    browser.findElement(By.id("token")).sendKeys(TOKEN);
    browser.findElement(By.id("token-set")).click();
    assertThat(text("#token-state")).isEqualTo("token set");
    Files.writeString(fixed, "yes");
    click("tr[data-task='bad-1'] form.action button");
    await()
        .atMost(10, SECONDS)
        .untilAsserted(() -> assertThat(text("#flash")).contains("replayed 1"));
    await()
        .atMost(30, SECONDS)
        .pollInterval(Duration.ofMillis(300))
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'bad-1'"
                            + " AND outcome = 'delivered'"))
                .isEqualTo(1));
    browser.get(ui + "/tasks/bad-1");
    await()
        .atMost(10, SECONDS)
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(text("#timeline")).contains("delivered"));
    screenshot("task-delivered");

    // a step suspended and resumed, for the whole cluster, seen on the overview as it updates
    browser.get(ui);
    click("[data-step='console.check'] form[data-action='suspend'] button");
    await()
        .atMost(15, SECONDS)
        .ignoreExceptions()
        .untilAsserted(() -> {
          assertThat(text("#flash")).contains("INTERMITTED");
          assertThat(text("[data-step='console.check'] .badge")).isEqualTo("INTERMITTED");
        });
    screenshot("overview-step-suspended");
    click("[data-step='console.check'] form[data-action='resume'] button");
    await()
        .atMost(15, SECONDS)
        .ignoreExceptions()
        .untilAsserted(
            () -> assertThat(text("[data-step='console.check'] .badge")).isEqualTo("RUNNING"));

    // a daemon suspended and resumed from the nodes table
    DaemonProcess dispatcher = daemons.getFirst();
    click(By.xpath(nodeAction("dispatcher", "suspend")));
    await()
        .atMost(10, SECONDS)
        .untilAsserted(() -> assertThat(dispatcher.health()).contains("INTERMITTED"));
    click(By.xpath(nodeAction("dispatcher", "resume")));
    await()
        .atMost(10, SECONDS)
        .untilAsserted(() -> assertThat(dispatcher.health()).contains("RUNNING"));

    // the other daemons serve the console too
    for (DaemonProcess d : daemons) {
      assertThat(d.get("/ui")).as(d.name()).contains("<h1>Overview</h1>", "console.check");
    }

    // on a phone: nothing wider than the screen, the DAG stacked
    browser.manage().window().setSize(new Dimension(390, 844));
    browser.get(ui);
    await()
        .atMost(10, SECONDS)
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(text("#nodes")).contains("patrol"));
    long overflow =
        (Long)
            ((JavascriptExecutor) browser)
                .executeScript("return document.documentElement.scrollWidth - window.innerWidth;");
    assertThat(overflow).as("horizontal overflow on a phone, px").isLessThanOrEqualTo(0);
    screenshot("overview-phone");

    for (DaemonProcess d : daemons) {
      assertThat(d.stop(Duration.ofSeconds(30))).isIn(0, 143);
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
  }

  private static WebDriver chromium() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .build();
    return new ChromeDriver(service, options);
  }

  private String text(String css) {
    return browser.findElement(By.cssSelector(css)).getText();
  }

  private void click(String css) {
    click(By.cssSelector(css));
  }

  /** Clicks, again if the page's refresh replaced the element between finding and clicking. */
  private void click(By by) {
    await()
        .atMost(10, SECONDS)
        .ignoreExceptions()
        .untilAsserted(() -> browser.findElement(by).click());
  }

  /** The button of an action in the row of the nodes table whose role is {@code role}. */
  private static String nodeAction(String role, String action) {
    return "//table[@id='nodes']//tr[td[2]='"
        + role
        + "']//form[@data-action='"
        + action
        + "']/button";
  }

  private void screenshot(String name) throws Exception {
    Files.createDirectories(SHOTS);
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static int post(int port, String path, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static void publish(TestServices services, String pipeline, String id, String payload) {
    services
        .jedis()
        .xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", pipeline, "id", id, "payload", payload));
  }
}
