package org.segmentbridge.observe;

import java.util.regex.Pattern;

/**
 * Log text without people's email addresses. Vendors' messages quote them (an invalid email, a user not found), and
 * they reach log lines as the reason of a retry or a dead letter; the dead letter itself keeps the whole message for
 * an operator with the admin token.
 */
public final class Redaction {

    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+");
    static final String EMAIL_MARK = "[email]";

    private Redaction() {
    }

    public static String withoutEmails(String text) {
        return text == null ? null : EMAIL.matcher(text).replaceAll(EMAIL_MARK);
    }
}
