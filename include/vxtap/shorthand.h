/* The AWS CLI's "shorthand syntax": how the words a user types after an
 * option (`--destination-port-range FromPort=80,ToPort=80`, `--filters
 * Name=a,Values=x,y`, `--tag-specifications 'ResourceType=…,Tags=[{Key=k,
 * Value=v}]'`) become the JSON value the API takes for that parameter. Each
 * structured parameter also accepts JSON, as the AWS CLI does.
 *
 * Shorthand, as in the AWS CLI: key=value pairs separated by commas; keys are
 * [A-Za-z0-9_.#/:-]; after a key, `a,b,c` (up to the next `key=`) or `[a,b]`
 * is a list and `{k=v,…}` a structure; a value may be quoted with '…' or "…"
 * (to hold ',' or '='), and a backslash takes the next character literally.
 * Whitespace around keys, '=' and ',' is ignored. Objects are built with their
 * members in the API model's order, whatever order the user wrote them in. */
#ifndef VXTAP_SHORTHAND_H
#define VXTAP_SHORTHAND_H

#include <jansson.h>

#include "vxtap/action.h"
#include "vxtap/store.h"

/* Turn the words a user gave after one CLI option into the JSON value the
 * API expects for that parameter type. words/nwords: the argv words that
 * followed the option (list types take several words, e.g.
 * `--filters Name=a,Values=x Name=b,Values=y` or `--remove-fields a b`;
 * scalar types take exactly one). Returns a new reference, or NULL with err
 * set (code "InvalidParameterValue", message naming `option` (e.g.
 * "--destination-port-range"), quoting the bad text and saying what syntax is
 * expected, e.g. "Error parsing parameter '--destination-port-range': expected
 * FromPort=<int>,ToPort=<int> or JSON, got 'FromPort=80,ToPort=x'", followed
 * by what exactly is wrong).
 *
 * Per type:
 *   VX_T_STRING       one word, verbatim.
 *   VX_T_INT          one decimal integer (optional '-') that fits long long.
 *   VX_T_BOOL         one word, true or false (any case).
 *   VX_T_STRING_LIST  each word one string; or one word that is a JSON list.
 *   VX_T_PORT_RANGE   FromPort=<int>,ToPort=<int> or a JSON object.
 *   VX_T_DEST_OPTIONS FileFormat=<s>,HiveCompatiblePartitions=<bool>,
 *                     PerHourPartition=<bool> or a JSON object.
 *   VX_T_FILTERS      each word Name=<s>,Values=<s>,<s>… (or Values=[…]) or a
 *                     JSON object; or one word that is a JSON list.
 *   VX_T_TAG_SPECS    each word ResourceType=<s>,Tags=[{Key=<s>,Value=<s>},…]
 *                     or a JSON object; or one word that is a JSON list.
 *   VX_T_LB_TARGETS   each word Id=<address>[,Port=<int>] or a JSON object;
 *                     or one word that is a JSON list.
 *   VX_T_IP_PERMISSIONS each word IpProtocol=<s>,FromPort=<int>,ToPort=<int>,
 *                     IpRanges=[{CidrIp=<s>,Description=<s>}],Ipv6Ranges=[…],
 *                     UserIdGroupPairs=[{GroupId=<s>,…}],PrefixListIds=[…] or a
 *                     JSON object; or one word that is a JSON list.
 *   VX_T_ACL_PORT_RANGE From=<int>,To=<int> or a JSON object.
 *   VX_T_ICMP_TYPE_CODE Type=<int>,Code=<int> or a JSON object.
 * JSON input is checked the same way (known keys, value types) and its
 * objects are rebuilt in model order. */
json_t *vx_shorthand_parse(const char *option, enum vx_ptype type, char *const *words, int nwords,
                           struct vx_err *err);

#endif
