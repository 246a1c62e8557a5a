package org.segmentbridge.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.segmentbridge.support.Chromium;
import org.segmentbridge.support.TestFolders;

/**
 * The operator console in Debian's Chromium, driven through chromedriver, against a real bridge whose fake Iterable
 * first refuses an event and later takes it: an operator logs in, finds the dead letter, reads the vendor's reason,
 * replays it once the vendor recovered, looks a person up and sees their opt-out, erases them after confirming; a wrong
 * token sees nothing. The event's fields are hostile markup, which must show as text. Each step leaves a screenshot in
 * {@code target/console-screenshots/}. The steps run in order and build on each other.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

    private static final Path SCREENSHOTS = Path.of("target/console-screenshots");
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Markup in the event's fields: shown as text it does nothing; parsed as HTML it would set these flags. */
    private static final String HOSTILE_EVENT_NAME = "<img src=x onerror=\"window.consoleXss='img'\">";
    private static final String HOSTILE_PROPERTY = "<script>window.consoleXss='script'</script>";
    private static final String MESSAGE_ID = "console-" + UUID.randomUUID();
    private static final String OPTED_OUT_EMAIL = "opted-out@example.com";

    private static ConsoleFixture fixture;
    private static ChromeDriverService driverService;
    private static WebDriver browser;
    private static WebDriverWait waiting;
    private static String deadLetterId;

    @BeforeAll
    static void start() throws IOException {
        // Checked first: without the browser or its driver the test fails, saying how to install them.
        Path chromedriver = Chromium.driver();
        fixture = new ConsoleFixture();
        fixture.vendorRefuses();
        fixture.send("""
                {"type":"track","event":%s,"userId":"u-console","messageId":"%s",
                 "properties":{"note":%s},"context":{"traits":{"email":"ann@example.com"}}}"""
                        .formatted(quoted(HOSTILE_EVENT_NAME), MESSAGE_ID, quoted(HOSTILE_PROPERTY)),
                """
                {"type":"identify","userId":"u-opted-out","messageId":"console-optout-%s",
                 "traits":{"email":"%s","unsubscribed":true}}""".formatted(UUID.randomUUID(), OPTED_OUT_EMAIL));
        await().atMost(WAIT).until(() -> fixture.deadLetters(MESSAGE_ID).size() == 1);

        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(Chromium.binary().toFile());
        options.addArguments(Chromium.FLAGS);
        options.addArguments("--user-data-dir=" + TestFolders.create("console-chromium-"), "--window-size=1400,1000");
        // The driver's path is given, so Selenium Manager never looks for (or downloads) one.
        driverService = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(driverService, options);
        waiting = new WebDriverWait(browser, WAIT);
    }

    @AfterAll
    static void stop() {
        try {
            if (browser != null) {
                browser.quit();
            }
            if (driverService != null) {
                driverService.stop();
            }
        } finally {
            if (fixture != null) {
                fixture.close();
            }
        }
    }

    @Test
    @Order(1)
    void anOperatorLogsInWithTheTokenAndSeesTheDestinations() {
        browser.get(fixture.bridge.baseUrl() + "/console");
        assertThat(visible("console")).as("no data before logging in").isFalse();

        logIn(ConsoleFixture.ADMIN_TOKEN);

        WebElement row = waiting.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#destinations-table tr[data-destination=iterable]")));
        assertThat(field(row, "mode")).isEqualTo("live");
        assertThat(field(row, "deadLetters")).isEqualTo("1");
        assertThat(field(row, "deadLettered")).as("dead-lettered in the last minute").isEqualTo("1");
        assertThat(field(row, "delivered")).isEqualTo("0");
        assertThat(field(row, "pausedUntil")).isEqualTo("not paused");
        assertThat(browser.getCurrentUrl()).as("the token is never in a URL").isEqualTo(fixture.bridge.baseUrl() + "/console");
        assertThat(browser.manage().getCookies()).as("nor in a cookie").isEmpty();
        screenshot("01-logged-in.png");
    }

    @Test
    @Order(2)
    void theDeadLetterTheVendorCausedIsListed() {
        click(By.cssSelector("nav button[data-view=dead-letters]"));

        WebElement row = waiting.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#dead-letters-table tbody tr")));
        assertThat(browser.findElements(By.cssSelector("#dead-letters-table tbody tr"))).hasSize(1);
        deadLetterId = row.getAttribute("data-id");
        assertThat(field(row, "destination")).isEqualTo("iterable");
        assertThat(field(row, "action")).isEqualTo("event");
        assertThat(field(row, "messageId")).isEqualTo(MESSAGE_ID);
        assertThat(field(row, "status")).isEqualTo("400");
        assertThat(field(row, "code")).isEqualTo(ConsoleFixture.REFUSAL_CODE);
        screenshot("02-dead-letters.png");
    }

    @Test
    @Order(3)
    void openingItShowsTheVendorsReasonAndTheEventAsText() {
        // Filtered by a word of the vendor's reason, it is still there; by another destination, it is not.
        browser.findElement(By.id("filter-reason")).sendKeys("QUOTA");
        click(By.id("filter-apply"));
        waiting.until(ExpectedConditions.textToBe(By.cssSelector("#dead-letters > p"), "1 dead letter(s), newest first."));
        click(By.cssSelector("#dead-letters-table tr[data-id='" + deadLetterId + "'] button.open"));

        WebElement answer = waiting.until(ExpectedConditions.visibilityOfElementLocated(By.id("vendor-answer")));
        assertThat(field(answer, "status")).isEqualTo("400");
        assertThat(field(answer, "code")).isEqualTo(ConsoleFixture.REFUSAL_CODE);
        assertThat(field(answer, "reason")).isEqualTo(ConsoleFixture.REFUSAL_CODE + ": " + ConsoleFixture.REFUSAL_MESSAGE);
        String event = browser.findElement(By.cssSelector("#dead-letter-event pre")).getText();
        // JSON as text: the quotes inside the markup are escaped, the markup itself is shown as it came.
        assertThat(event).contains("\"event\": " + quoted(HOSTILE_EVENT_NAME)).contains(HOSTILE_PROPERTY);
        assertThat(browser.findElements(By.tagName("img"))).as("the event's markup made no element").isEmpty();
        assertThat(browser.findElements(By.tagName("script"))).as("only the console's own script").hasSize(1);
        assertThat(((JavascriptExecutor) browser).executeScript("return window.consoleXss === undefined")).isEqualTo(true);
        screenshot("03-dead-letter-opened.png");
    }

    @Test
    @Order(4)
    void replayedOnceTheVendorRecoveredItIsDeliveredAndGone() throws IOException {
        fixture.vendorRecovers();

        click(By.id("replay"));

        waiting.until(ExpectedConditions.textToBe(By.id("notice"),
                "Replayed dead letter " + deadLetterId + ": its event is queued for iterable again."));
        await().atMost(WAIT).until(() -> fixture.tracksCarrying(MESSAGE_ID).size() == 1);
        JsonNode sent = org.segmentbridge.support.RunningBridge.JSON.readTree(fixture.tracksCarrying(MESSAGE_ID).get(0).getBodyAsString());
        assertThat(sent.path("eventName").asText()).isEqualTo(HOSTILE_EVENT_NAME);
        assertThat(sent.path("id").asText()).isEqualTo(MESSAGE_ID);
        assertThat(browser.findElements(By.cssSelector("#dead-letters-table tr[data-id='" + deadLetterId + "']"))).isEmpty();
        assertThat(browser.findElement(By.cssSelector("#dead-letters > p")).getText()).isEqualTo("0 dead letter(s), newest first.");
        assertThat(fixture.deadLetters(null)).isEmpty();
        screenshot("04-replayed.png");

        // The destinations view counts the delivery.
        await().atMost(WAIT).untilAsserted(() -> {
            click(By.cssSelector("nav button[data-view=destinations]"));
            WebElement row = waiting.until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("#destinations-table tr[data-destination=iterable]")));
            assertThat(field(row, "delivered")).isEqualTo("1");
            assertThat(field(row, "deadLetters")).isEqualTo("0");
        });
        screenshot("04-delivered.png");
    }

    @Test
    @Order(5)
    void aPersonLookedUpShowsTheirOptOutAndWhereItCameFrom() {
        click(By.cssSelector("nav button[data-view=person]"));
        new Select(browser.findElement(By.id("person-kind"))).selectByValue("email");
        browser.findElement(By.id("person-value")).sendKeys(OPTED_OUT_EMAIL);
        click(By.id("person-lookup"));

        WebElement consent = waiting.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dl#person-consent")));
        assertThat(field(consent, "state")).isEqualTo("unsubscribed");
        assertThat(field(consent, "origin")).isEqualTo("segment");
        WebElement links = browser.findElement(By.cssSelector("dl#person-links"));
        assertThat(field(links, "emails")).isEqualTo(OPTED_OUT_EMAIL);
        assertThat(field(links, "userIds")).isEqualTo("u-opted-out");
        assertThat(browser.findElement(By.id("erase")).getText()).isEqualTo("Erase…");
        screenshot("05-person-opted-out.png");
    }

    @Test
    @Order(6)
    void erasingThePersonAsksForConfirmationFirst() {
        click(By.id("erase"));
        WebElement question = waiting.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#erase-area .confirm p")));
        assertThat(question.getText()).isEqualTo("Erase the person with email " + OPTED_OUT_EMAIL
                + " from the bridge and from every platform? This cannot be undone.");
        click(By.id("erase-cancel"));
        waiting.until(ExpectedConditions.visibilityOfElementLocated(By.id("erase")));
        assertThat(fixture.admin("/admin/people?email=" + OPTED_OUT_EMAIL).statusCode()).as("cancelled: nothing erased").isEqualTo(200);

        click(By.id("erase"));
        click(By.id("erase-confirm"));

        WebElement notice = waiting.until(ExpectedConditions.visibilityOfElementLocated(By.id("notice")));
        assertThat(notice.getText()).matches("Erasure erasure-[0-9a-f-]{36} accepted; its steps appear in the privacy audit as they run\\.");
        await().atMost(WAIT).until(() -> fixture.admin("/admin/people?email=" + OPTED_OUT_EMAIL).statusCode() == 404);
        // The steps are audited as they run, so the operator looks again until the bridge's own step shows.
        await().atMost(WAIT).untilAsserted(() -> {
            lookUpAgain();
            assertThat(browser.findElement(By.id("person-links")).getText()).isEqualTo("The bridge knows no person with this email.");
            assertThat(browser.findElements(By.cssSelector("#person-audit tbody tr")))
                    .as("the erasure's audit: the bridge's own step").anySatisfy(row -> {
                        assertThat(field(row, "platform")).isEqualTo("bridge");
                        assertThat(field(row, "step")).isEqualTo("erase-stored-data");
                        assertThat(field(row, "result")).isEqualTo("done");
                    });
        });
        screenshot("06-person-erased.png");
    }

    @Test
    @Order(7)
    void aWrongTokenSeesNothing() {
        click(By.id("logout"));
        assertThat(visible("console")).isFalse();
        assertThat(((JavascriptExecutor) browser).executeScript("return sessionStorage.length")).as("the token is forgotten").isEqualTo(0L);

        logIn("not-the-admin-token");

        waiting.until(ExpectedConditions.textToBe(By.id("error"), "401: invalid admin token"));
        assertThat(visible("console")).isFalse();
        assertThat(browser.findElements(By.cssSelector("#console tr, #console dl, #console pre"))).as("no data on the page").isEmpty();
        String page = browser.findElement(By.tagName("body")).getText();
        assertThat(page).doesNotContain("iterable").doesNotContain(OPTED_OUT_EMAIL).doesNotContain(MESSAGE_ID);
        assertThat(((JavascriptExecutor) browser).executeScript("return sessionStorage.length")).as("the wrong token is not kept").isEqualTo(0L);
        screenshot("07-wrong-token.png");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void logIn(String token) {
        WebElement input = waiting.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        input.clear();
        input.sendKeys(token);
        click(By.id("login-button"));
    }

    private static void click(By by) {
        waiting.until(ExpectedConditions.elementToBeClickable(by)).click();
    }

    /**
     * Looks the person up again and waits until the page shows the new answer: the old view must be gone, or a test
     * could read it (or hold its elements) while the new one replaces it.
     */
    private static void lookUpAgain() {
        WebElement shown = browser.findElement(By.id("person-links"));
        click(By.id("person-lookup"));
        waiting.until(ExpectedConditions.stalenessOf(shown));
    }

    private static boolean visible(String id) {
        return browser.findElement(By.id(id)).isDisplayed();
    }

    /** The text of the element inside {@code within} marked {@code data-field=<name>}. */
    private static String field(WebElement within, String name) {
        return within.findElement(By.cssSelector("[data-field='" + name + "']")).getText();
    }

    private static void screenshot(String name) {
        try {
            Files.copy(((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOTS.resolve(name),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException("could not save the screenshot " + name, e);
        }
    }

    private static String quoted(String text) {
        return org.segmentbridge.support.RunningBridge.JSON.getNodeFactory().textNode(text).toString();
    }
}
