package org.segmentbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MappingTest extends MappingTestSupport {

    @Test
    void theExampleFileMapsAnIdentifyEvent() {
        Mapping mapping = mapping("""
                fields:
                  - to: 3
                    from: [$.traits.email, $.context.traits.email]
                    transforms: [trim, lowercase]
                    required: true
                  - to: "31"
                    from: $.traits.newsletter
                    type: enum
                    values: {"true": "1", "false": "2"}
                  - to: plan
                    from: $.traits.plan
                    default: free
                  - to: source
                    value: segment
                """);
        assertJson(mapping.apply(event("{'traits': {'email': '  Ann@Example.COM ', 'newsletter': true}}")),
                "{'3': 'ann@example.com', '31': '1', 'plan': 'free', 'source': 'segment'}");
        assertThat(mapping.name()).isEqualTo("m");
    }

    @Test
    void firstNonEmptyPathWinsAndMissingNullAndEmptyCountAsNothing() {
        Mapping mapping = mapping("""
                fields:
                  - to: email
                    from: [$.traits.email, $.context.traits.email, $.properties.email]
                """);
        assertJson(mapping.apply(event("{'traits': {'email': ''}, 'context': {'traits': {'email': null}}, 'properties': {'email': 'c@x.io'}}")),
                "{'email': 'c@x.io'}");
        assertJson(mapping.apply(event("{'traits': {'email': 'a@x.io'}, 'properties': {'email': 'c@x.io'}}")),
                "{'email': 'a@x.io'}");
        assertJson(mapping.apply(event("{'traits': {}}")), "{}");
    }

    @Test
    void outputKeepsFileOrderAndOmitsAbsentValues() {
        Mapping mapping = mapping("""
                fields:
                  - {to: z, from: $.a}
                  - {to: y, from: $.missing}
                  - {to: a, from: $.b}
                """);
        assertJson(mapping.apply(event("{'b': 'second', 'a': 'first'}")), "{'z': 'first', 'a': 'second'}");
    }

    @Test
    void stringTypeTurnsNumbersAndBooleansIntoText() {
        Mapping mapping = mapping("""
                fields:
                  - {to: i, from: $.i}
                  - {to: d, from: $.d}
                  - {to: b, from: $.b}
                  - {to: s, from: $.s, type: string}
                """);
        assertJson(mapping.apply(event("{'i': 42, 'd': 19.99, 'b': false, 's': 'x'}")),
                "{'i': '42', 'd': '19.99', 'b': 'false', 's': 'x'}");
    }

    @Test
    void integerTypeRoundsHalfUpAndParsesNumericText() {
        Mapping mapping = mapping("""
                fields:
                  - {to: a, from: $.a, type: integer}
                  - {to: b, from: $.b, type: integer}
                  - {to: c, from: $.c, type: integer}
                  - {to: d, from: $.d, type: integer}
                  - {to: e, from: $.e, type: integer}
                """);
        assertJson(mapping.apply(event("{'a': 2.5, 'b': 2.49, 'c': ' 17 ', 'd': '-3.5', 'e': 12345678901}")),
                "{'a': 3, 'b': 2, 'c': 17, 'd': -4, 'e': 12345678901}");
    }

    @Test
    void decimalTypeKeepsExactDigits() {
        Mapping mapping = mapping("""
                fields:
                  - {to: a, from: $.a, type: decimal}
                  - {to: b, from: $.b, type: decimal}
                  - {to: c, from: $.c, type: decimal}
                """);
        assertJson(mapping.apply(event("{'a': 0.1, 'b': '12.345678901234567890', 'c': '2.50'}")),
                "{'a': 0.1, 'b': 12.345678901234567890, 'c': 2.5}");
    }

    @Test
    void booleanTypeAcceptsTheUsualSpellings() {
        Mapping mapping = mapping("""
                fields:
                  - {to: a, from: $.a, type: boolean}
                  - {to: b, from: $.b, type: boolean}
                  - {to: c, from: $.c, type: boolean}
                  - {to: d, from: $.d, type: boolean}
                  - {to: e, from: $.e, type: boolean}
                  - {to: f, from: $.f, type: boolean}
                  - {to: g, from: $.g, type: boolean}
                  - {to: h, from: $.h, type: boolean}
                """);
        assertJson(mapping.apply(event("{'a': true, 'b': 'false', 'c': 'YES', 'd': 'no', 'e': '1', 'f': '0', 'g': 1, 'h': 0}")),
                "{'a': true, 'b': false, 'c': true, 'd': false, 'e': true, 'f': false, 'g': true, 'h': false}");
    }

    @Test
    void dateTypeTakesTheDateAsWrittenOrInTheGivenZone() {
        Mapping mapping = mapping("""
                fields:
                  - {to: plain, from: $.d, type: date}
                  - {to: fromDateTime, from: $.dt, type: date}
                  - {to: formatted, from: $.d, type: date, format: "dd.MM.yyyy"}
                  - {to: inUtc, from: $.dt, type: date, zone: UTC}
                """);
        assertJson(mapping.apply(event("{'d': '1990-05-01', 'dt': '1990-05-01T00:30:00+02:00'}")),
                "{'plain': '1990-05-01', 'fromDateTime': '1990-05-01', 'formatted': '01.05.1990', 'inUtc': '1990-04-30'}");
    }

    @Test
    void datetimeTypeWritesAnInstantInUtcUnlessFormatOrZoneSayOtherwise() {
        Mapping mapping = mapping("""
                fields:
                  - {to: iso, from: $.timestamp, type: datetime}
                  - {to: fromOffset, from: $.local, type: datetime}
                  - {to: fromDate, from: $.day, type: datetime}
                  - to: formatted
                    from: $.timestamp
                    type: datetime
                    format: "yyyy-MM-dd HH:mm:ss XXX"
                    zone: UTC
                  - {to: berlin, from: $.timestamp, type: datetime, zone: Europe/Berlin}
                """);
        assertJson(mapping.apply(event("{'timestamp': '2026-11-22T10:00:00.000Z', 'local': '2026-11-22T12:00:00+02:00', 'day': '2026-11-22'}")),
                "{'iso': '2026-11-22T10:00:00Z', 'fromOffset': '2026-11-22T10:00:00Z', 'fromDate': '2026-11-22T00:00:00Z',"
                        + " 'formatted': '2026-11-22 10:00:00 Z', 'berlin': '2026-11-22T11:00:00+01:00'}");
    }

    @Test
    void enumLooksUpTheValueAsTextAndKeepsTheOutputType() {
        Mapping mapping = mapping("""
                fields:
                  - {to: text, from: $.a, type: enum, values: {"true": "1", "false": "2"}}
                  - {to: number, from: $.b, type: enum, values: {gold: 1, silver: 2}}
                  - {to: fromNumber, from: $.c, type: enum, values: {"3": three}}
                  - {to: fallback, from: $.d, type: enum, values: {a: A}, default: other}
                """);
        assertJson(mapping.apply(event("{'a': false, 'b': 'gold', 'c': 3, 'd': 'zzz'}")),
                "{'text': '2', 'number': 1, 'fromNumber': 'three', 'fallback': 'other'}");
    }

    @Test
    void objectTypePassesTheValueAsItIs() {
        Mapping mapping = mapping("""
                fields:
                  - {to: address, from: $.traits.address, type: object}
                  - {to: tags, from: $.traits.tags, type: object}
                """);
        assertJson(mapping.apply(event("{'traits': {'address': {'city': 'Oslo', 'zip': 150}, 'tags': ['a', 1]}}")),
                "{'address': {'city': 'Oslo', 'zip': 150}, 'tags': ['a', 1]}");
    }

    @Test
    void textTransformsChangeStringsAndLeaveOtherValues() {
        Mapping mapping = mapping("""
                fields:
                  - {to: trimmed, from: $.a, transforms: [trim]}
                  - {to: lower, from: $.a, transforms: [lowercase]}
                  - {to: upper, from: $.a, transforms: [trim, uppercase]}
                  - {to: snake, from: $.b, transforms: [snake_case]}
                  - {to: camel, from: $.c, transforms: [snake_case]}
                  - {to: number, from: $.n, type: object, transforms: [trim, uppercase, snake_case]}
                """);
        assertJson(mapping.apply(event("{'a': ' Mixed Case ', 'b': 'Gold Plan', 'c': 'goldPlan', 'n': 7}")),
                "{'trimmed': 'Mixed Case', 'lower': ' mixed case ', 'upper': 'MIXED CASE', 'snake': 'gold_plan',"
                        + " 'camel': 'gold_plan', 'number': 7}");
    }

    @Test
    void snakeCaseHandlesAcronymsDigitsAndPunctuation() {
        assertThat(Transform.snakeCase("HTMLParser")).isEqualTo("html_parser");
        assertThat(Transform.snakeCase("first-name")).isEqualTo("first_name");
        assertThat(Transform.snakeCase("  Plan 2Go!")).isEqualTo("plan_2_go");
        assertThat(Transform.snakeCase("already_snake")).isEqualTo("already_snake");
    }

    @Test
    void multiplyIsExactAndRunsBeforeTheType() {
        Mapping mapping = mapping("""
                fields:
                  - {to: total_cents, from: $.properties.total, type: integer, transforms: [{multiply: 100}]}
                  - {to: text_cents, from: $.properties.text, type: integer, transforms: [{multiply: 100}]}
                  - {to: rate, from: $.properties.rate, type: decimal, transforms: [{multiply: 0.01}]}
                """);
        assertJson(mapping.apply(event("{'properties': {'total': 19.99, 'text': '0.29', 'rate': 7}}")),
                "{'total_cents': 1999, 'text_cents': 29, 'rate': 0.07}");
    }

    @Test
    void flattenTurnsNestedObjectsIntoUnderscoreKeys() {
        Mapping mapping = mapping("""
                fields:
                  - {to: address, from: $.traits.address, transforms: [flatten]}
                  - {to: raw, from: $.traits.address, type: object, transforms: [flatten]}
                """);
        assertJson(mapping.apply(event("{'traits': {'address': {'city': 'Oslo', 'geo': {'lat': 1.5, 'lon': 2}}}}")),
                "{'address': {'city': 'Oslo', 'geo_lat': 1.5, 'geo_lon': 2},"
                        + " 'raw': {'city': 'Oslo', 'geo_lat': 1.5, 'geo_lon': 2}}");
    }

    @Test
    void wildcardPathsGiveListsWhoseElementsAreConvertedThenJoined() {
        Mapping mapping = mapping("""
                fields:
                  - to: prices
                    from: $.properties.products[*].price
                    type: decimal
                    transforms: [{join: ","}]
                  - to: skus
                    from: $.properties.products[*].sku
                    transforms: [uppercase]
                  - to: cents
                    from: $.properties.products[*].price
                    type: integer
                    transforms: [{multiply: 100}, {join: "|"}]
                  - to: none
                    from: $.properties.products[*].missing
                """);
        assertJson(mapping.apply(event("{'properties': {'products': [{'sku': 'a1', 'price': 19.99}, {'sku': 'b2', 'price': '5'}, {'sku': 'c3'}]}}")),
                "{'prices': '19.99,5', 'skus': ['A1', 'B2', 'C3'], 'cents': '1999|500'}");
    }

    @Test
    void joinAlsoJoinsAnArrayFieldAndTransformsAfterItWorkOnTheText() {
        Mapping mapping = mapping("""
                fields:
                  - {to: tags, from: $.traits.tags, transforms: [{join: ";"}, uppercase]}
                """);
        assertJson(mapping.apply(event("{'traits': {'tags': ['vip', 'beta']}}")), "{'tags': 'VIP;BETA'}");
    }

    @Test
    void defaultFillsInWhenNothingIsFoundAndKeepsItsYamlType() {
        Mapping mapping = mapping("""
                fields:
                  - {to: plan, from: $.traits.plan, default: free}
                  - {to: score, from: $.traits.score, type: integer, default: 0}
                  - {to: blank, from: $.traits.blank, transforms: [trim], default: none}
                """);
        assertJson(mapping.apply(event("{'traits': {'plan': null, 'blank': '   '}}")), "{'plan': 'free', 'score': 0, 'blank': 'none'}");
        assertJson(mapping.apply(event("{'traits': {'plan': 'pro', 'score': '7', 'blank': 'x'}}")), "{'plan': 'pro', 'score': 7, 'blank': 'x'}");
    }

    @Test
    void requiredFieldWithoutValueFailsNamingAllItsPaths() {
        Mapping mapping = mapping("""
                fields:
                  - to: "3"
                    from: [$.traits.email, $.context.traits.email]
                    required: true
                """);
        assertThat(failure(mapping, "{'traits': {'email': ''}}"))
                .isEqualTo("mapping m, field '3' (from $.traits.email, $.context.traits.email): required value is missing");
    }

    @Test
    void requiredFieldIsSatisfiedByItsDefault() {
        Mapping mapping = mapping("""
                fields:
                  - {to: plan, from: $.traits.plan, required: true, default: free}
                """);
        assertJson(mapping.apply(event("{}")), "{'plan': 'free'}");
    }

    @Test
    void whenWithAPathAppliesTheEntryOnlyIfTheValueIsTruthy() {
        Mapping mapping = mapping("""
                fields:
                  - {to: vip, from: $.traits.vip, type: boolean, when: $.traits.vip_known, required: true}
                """);
        assertJson(mapping.apply(event("{'traits': {'vip': 'yes', 'vip_known': true}}")), "{'vip': true}");
        assertJson(mapping.apply(event("{'traits': {'vip': 'yes', 'vip_known': 'x'}}")), "{'vip': true}");
        assertJson(mapping.apply(event("{'traits': {'vip': 'yes', 'vip_known': 1}}")), "{'vip': true}");
        for (String known : new String[] {"false", "null", "''", "0", "[]", "{}"}) {
            assertJson(mapping.apply(event("{'traits': {'vip': 'yes', 'vip_known': " + known + "}}")), "{}");
        }
        assertJson(mapping.apply(event("{'traits': {'vip': 'yes'}}")), "{}");
    }

    @Test
    void whenWithEqualsOrInComparesTheValueAsText() {
        Mapping mapping = mapping("""
                fields:
                  - {to: kind, from: $.type, when: {path: $.type, equals: identify}}
                  - {to: page, from: $.type, when: {path: $.type, in: [identify, page]}}
                  - {to: version, value: v2, when: {path: $.version, equals: 2}}
                """);
        assertJson(mapping.apply(event("{'type': 'identify', 'version': '2'}")), "{'kind': 'identify', 'page': 'identify', 'version': 'v2'}");
        assertJson(mapping.apply(event("{'type': 'page', 'version': 2}")), "{'page': 'page', 'version': 'v2'}");
        assertJson(mapping.apply(event("{'type': 'track', 'version': 3}")), "{}");
    }

    @Test
    void constantValuesGoThroughTransformsAndType() {
        Mapping mapping = mapping("""
                fields:
                  - {to: source, value: segment}
                  - {to: shouted, value: segment, transforms: [uppercase]}
                  - {to: one, value: "1", type: integer}
                """);
        assertJson(mapping.apply(event("{}")), "{'source': 'segment', 'shouted': 'SEGMENT', 'one': 1}");
    }

    @Test
    void passthroughCopiesTheRemainingKeysRenamedFlattenedAndPrefixed() {
        Mapping mapping = mapping("""
                fields:
                  - {to: "3", from: $.traits.email}
                  - {to: plan, from: $.traits.plan}
                passthrough:
                  from: $.traits
                  except: [firstName]
                  transforms: [snake_case, flatten]
                  prefix: "custom_"
                """);
        assertJson(mapping.apply(event("{'traits': {'email': 'a@x.io', 'firstName': 'Ann', 'plan': 'pro', 'lastName': 'Lee',"
                        + " 'favoriteColor': null, 'homeAddress': {'zipCode': '0150', 'city': 'Oslo'}, 'tags': ['a']}}")),
                "{'3': 'a@x.io', 'plan': 'pro', 'custom_last_name': 'Lee', 'custom_home_address_zip_code': '0150',"
                        + " 'custom_home_address_city': 'Oslo', 'custom_tags': ['a']}");
    }

    @Test
    void passthroughWithoutTransformsCopiesKeysAsTheyAreAndNeverOverwritesAField() {
        Mapping mapping = mapping("""
                fields:
                  - {to: plan, value: fixed}
                passthrough:
                  from: $.traits
                """);
        assertJson(mapping.apply(event("{'traits': {'firstName': 'Ann', 'plan': 'pro', 'address': {'city': 'Oslo'}}}")),
                "{'plan': 'fixed', 'firstName': 'Ann', 'address': {'city': 'Oslo'}}");
        assertJson(mapping.apply(event("{}")), "{'plan': 'fixed'}");
    }

    @Test
    void passthroughOfSomethingOtherThanAnObjectFails() {
        Mapping mapping = mapping("""
                fields: []
                passthrough: {from: $.traits}
                """);
        assertThat(failure(mapping, "{'traits': 'oops'}"))
                .isEqualTo("mapping m, passthrough (from $.traits): expected an object, got a string");
    }

    @Test
    void theEventIsNotChanged() {
        Mapping mapping = mapping("""
                fields:
                  - {to: a, from: $.traits.address, type: object, transforms: [flatten]}
                passthrough: {from: $.traits, transforms: [snake_case, flatten]}
                """);
        var input = event("{'traits': {'address': {'city': 'Oslo'}, 'firstName': 'Ann'}}");
        String before = input.toString();
        mapping.apply(input);
        assertThat(input.toString()).isEqualTo(before);
    }

    @Test
    void theReadmeExampleGivesWhatTheReadmeSays() {
        Mapping mapping = mapping("""
                fields:
                  - to: "3"                                        # Emarsys field id 3 (email)
                    from: [$.traits.email, $.context.traits.email] # the first of these that has a value
                    transforms: [trim, lowercase]
                    required: true
                  - to: "31"
                    from: $.traits.newsletter
                    type: enum
                    values: {"true": "1", "false": "2"}
                  - to: total_cents
                    from: $.properties.total
                    type: integer
                    transforms: [{multiply: 100}]                  # dollars -> cents
                  - to: prices
                    from: $.properties.products[*].price           # a list: each element is converted
                    type: decimal
                    transforms: [{join: ","}]                      # then joined into "19.99,5"
                  - to: birthday
                    from: $.traits.birthday
                    type: date
                  - to: last_seen
                    from: $.timestamp
                    type: datetime
                    format: "yyyy-MM-dd HH:mm:ss XXX"
                  - to: plan
                    from: $.traits.plan
                    default: free
                  - to: source
                    value: segment
                  - to: vip
                    from: $.traits.vip
                    type: boolean
                    when: $.traits.vip_known
                  - to: kind
                    from: $.type
                    when: {path: $.type, in: [identify, page]}
                passthrough:
                  from: $.traits
                  except: [firstName]
                  transforms: [snake_case, flatten]
                  prefix: "custom_"
                """);
        assertJson(mapping.apply(event("{'type': 'identify', 'timestamp': '2026-11-22T10:00:00Z',"
                        + " 'traits': {'email': ' Ann@X.io ', 'newsletter': true, 'lastName': 'Lee'}}")),
                "{'3': 'ann@x.io', '31': '1', 'last_seen': '2026-11-22 10:00:00 Z', 'plan': 'free', 'source': 'segment',"
                        + " 'kind': 'identify', 'custom_last_name': 'Lee'}");
    }
}
