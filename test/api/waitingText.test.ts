// The waiting reasons' sentences: the lift time in the zone the reason is about, and a calling
// rule's own sentence (it already names its lift time in the jurisdiction's zone) kept as it is.
import t from 'tap';
import { waitingText } from '../../server/api/waitingText.js';

const zones = { contact: 'America/Chicago', campaign: 'America/New_York' };
const now = new Date('2026-12-02T10:00:00Z');

t.equal(waitingText('contact hours closed', '2026-12-02T14:00:00Z', zones, now), "outside the contact's calling hours until 08:00 America/Chicago");
t.equal(waitingText('window closed', '2026-12-02T14:00:00Z', zones, now), "outside the campaign's calling window until 09:00 America/New_York");
t.equal(waitingText('campaign paused', null, zones, now), 'the campaign is paused');
t.equal(waitingText('VAPI account stopped', null, zones, now), 'VAPI refused the account (see vapiStatus in the settings)');
const rule = 'us-fl.501.616: after 20:00 local; next 2026-12-02 08:00 America/New_York';
t.equal(waitingText(rule, '2026-12-02T13:00:00Z', zones, now), rule, 'a rule names its own lift time: no second "until"');
t.equal(waitingText('blackout:42: hurricane; next 2026-12-03 00:00 America/Chicago', null, zones, now), 'blackout:42: hurricane; next 2026-12-03 00:00 America/Chicago');

// A retry planned by a sequence step says which step, due at the campaign's wall time.
const step = 'retry not due: retry 2 of 3 (sequence step 2: 120 min after attempt 2, later half of the window)';
t.equal(waitingText(step, '2026-12-02T18:00:00Z', zones, now), 'waiting for retry 2 of 3 (sequence step 2: 120 min after attempt 2, later half of the window), due at 13:00 America/New_York');
t.equal(waitingText(step, '2026-12-04T18:00:00Z', zones, now), 'waiting for retry 2 of 3 (sequence step 2: 120 min after attempt 2, later half of the window), due at Fri 4 Dec 13:00 America/New_York');
t.equal(waitingText('retry not due', '2026-12-02T18:00:00Z', zones, now), 'waiting for the retry delay until 13:00 America/New_York', 'beyond the sequence');
