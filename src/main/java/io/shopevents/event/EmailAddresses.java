package io.shopevents.event;

import com.ibm.icu.text.IDNA;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What this service takes as an email address: exactly one RFC 5321 mailbox, {@code local@domain},
 * and nothing a mail library could read as more than one, or as another: no lists (, ;), no
 * groups, comments, angle brackets, quoted local parts, spaces, control or format characters.
 * <ul>
 * <li>the local part is ASCII "atext" in dot-separated words, at most 64 characters (a non-ASCII
 * local part needs SMTPUTF8 on every server on the way: refused rather than mangled);</li>
 * <li>the domain has two labels or more; an internationalised one (ü, ß, Cyrillic а, Greek ς) is
 * mailed to as its A-label under IDNA2008 as UTS #46 non-transitional processing gives it, what
 * browsers and mail systems use now (ICU4J): {@code straße.de} is {@code xn--strae-oqa.de}, never
 * {@code strasse.de}. A domain that processing would turn into another name (full-width letters,
 * {@code ℡}, which become {@code example}, {@code tel}) is refused, naming the name it would
 * become: the message goes to exactly the domain that was given.</li>
 * </ul>
 */
public final class EmailAddresses {

    public static final int MAX_LENGTH = 254;
    private static final Pattern LOCAL_PART = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
    private static final IDNA UTS46 = IDNA.getUTS46Instance(IDNA.NONTRANSITIONAL_TO_ASCII | IDNA.NONTRANSITIONAL_TO_UNICODE
            | IDNA.USE_STD3_RULES | IDNA.CHECK_BIDI | IDNA.CHECK_CONTEXTJ | IDNA.CHECK_CONTEXTO);
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
            String mapped = mappedTo(domain);
            return mapped != null ? "must be one address, local@domain, with the domain as it is mailed to: '" + domain
                    + "' would be mailed as '" + mapped + "'; write that if it is meant"
                    : "must be one address, local@domain: the domain must be a domain name with a dot, such as"
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

    /** The domain in ASCII, or null when it is no domain name or would be mailed as another one. */
    private static String aLabel(String domain) {
        String[] labels = domain.split("\\.", -1);
        if (labels.length < 2 || labels[labels.length - 1].chars().allMatch(Character::isDigit)) {
            return null;
        }
        StringBuilder ascii = new StringBuilder();
        IDNA.Info info = new IDNA.Info();
        UTS46.nameToASCII(domain, ascii, info);
        if (info.hasErrors() || !isLdh(ascii.toString()) || ascii.length() > 253) {
            return null;
        }
        if (domain.chars().allMatch(c -> c < 0x80)) {
            return domain; // nothing to convert: as given, case and all
        }
        return sameName(domain, ascii.toString()) ? ascii.toString() : null;
    }

    /** Letters, digits and hyphens in each label (no underscore, no empty label, at most 63 characters). */
    private static boolean isLdh(String ascii) {
        for (String label : ascii.split("\\.", -1)) {
            if (!LDH_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    /** Each label of the A-label names the one given (case aside, or given as an A-label), not one the mapping made. */
    private static boolean sameName(String given, String ascii) {
        StringBuilder unicode = new StringBuilder();
        UTS46.nameToUnicode(ascii, unicode, new IDNA.Info());
        String[] givenLabels = given.toLowerCase(Locale.ROOT).split("\\.", -1);
        String[] unicodeLabels = unicode.toString().split("\\.", -1);
        String[] asciiLabels = ascii.split("\\.", -1);
        if (givenLabels.length != unicodeLabels.length || givenLabels.length != asciiLabels.length) {
            return false;
        }
        for (int i = 0; i < givenLabels.length; i++) {
            if (!givenLabels[i].equals(unicodeLabels[i]) && !givenLabels[i].equals(asciiLabels[i])) {
                return false;
            }
        }
        return true;
    }

    /** What it would be mailed as, for a domain {@link #sameName} refuses; null when there is none. */
    static String mappedTo(String domain) {
        StringBuilder unicode = new StringBuilder();
        IDNA.Info info = new IDNA.Info();
        UTS46.nameToUnicode(domain, unicode, info);
        return info.hasErrors() || unicode.toString().equals(domain.toLowerCase(Locale.ROOT)) ? null : unicode.toString();
    }
}
