package io.shopevents.event;

import java.net.IDN;
import java.util.regex.Pattern;

/**
 * What this service takes as an email address: exactly one RFC 5321 mailbox, {@code local@domain},
 * and nothing a mail library could read as more than one, or as another: no lists (, ;), no
 * groups, comments, angle brackets, quoted local parts, spaces, control or format characters.
 * <ul>
 * <li>the local part is ASCII "atext" in dot-separated words, at most 64 characters (a non-ASCII
 * local part needs SMTPUTF8 on every server on the way: refused rather than mangled);</li>
 * <li>the domain has two labels or more; an internationalised one (ü, Cyrillic а) is taken as
 * typed and mailed to as its A-label (punycode, {@link IDN}), so the message goes to exactly the
 * domain that was given and never to one its bytes were cut down to.</li>
 * </ul>
 */
public final class EmailAddresses {

    public static final int MAX_LENGTH = 254;
    private static final Pattern LOCAL_PART = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
    private static final Pattern LDH_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private EmailAddresses() {
    }

    /** Why this is not one mailbox, or null when it is. */
    public static String problem(String address) {
        if (address.isEmpty() || address.length() > MAX_LENGTH) {
            return "must be 1 to " + MAX_LENGTH + " characters";
        }
        for (int i = 0; i < address.length(); ) {
            int c = address.codePointAt(i);
            int type = Character.getType(c);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || type == Character.CONTROL
                    || type == Character.FORMAT || type == Character.SURROGATE || type == Character.UNASSIGNED
                    || type == Character.PRIVATE_USE) {
                return "must be one address, local@domain, without spaces, control or format characters";
            }
            i += Character.charCount(c);
        }
        int at = address.indexOf('@');
        if (at < 1 || at != address.lastIndexOf('@') || at == address.length() - 1) {
            return "must be one address, local@domain";
        }
        String local = address.substring(0, at);
        if (local.length() > 64 || !LOCAL_PART.matcher(local).matches()) {
            return "must be one address, local@domain: the part before @ is at most 64 letters, digits and"
                    + " !#$%&'*+/=?^_`{|}~- in dot-separated words (no lists, comments, quotes or brackets;"
                    + " no letters outside ASCII)";
        }
        String domain = address.substring(at + 1);
        if (aLabel(domain) == null) {
            return "must be one address, local@domain: the domain must be a domain name with a dot, such as"
                    + " example.com";
        }
        return null;
    }

    /**
     * The address as it goes on the SMTP envelope: the local part as given, the domain as its A-label.
     * Only for an address {@link #problem} has nothing against.
     */
    public static String forSmtp(String address) {
        int at = address.indexOf('@');
        String domain = aLabel(address.substring(at + 1));
        if (at < 1 || domain == null) {
            throw new IllegalArgumentException("not a mailbox: " + address);
        }
        return address.substring(0, at) + "@" + domain;
    }

    /** The domain in ASCII (each label converted on its own), or null when it is no domain name. */
    private static String aLabel(String domain) {
        String[] labels = domain.split("\\.", -1);
        if (labels.length < 2) {
            return null;
        }
        StringBuilder ascii = new StringBuilder();
        for (String label : labels) {
            String converted;
            try {
                converted = IDN.toASCII(label, IDN.USE_STD3_ASCII_RULES);
            } catch (IllegalArgumentException e) {
                return null;
            }
            if (!LDH_LABEL.matcher(converted).matches()) {
                return null;
            }
            if (!ascii.isEmpty()) {
                ascii.append('.');
            }
            ascii.append(converted);
        }
        String last = labels[labels.length - 1];
        if (last.chars().allMatch(Character::isDigit) || ascii.length() > 253) {
            return null;
        }
        return ascii.toString();
    }
}
