/** English: every text members see from Renkei. */
import type { Catalog, DecisionCatalog } from './types.ts';

/** The decision buttons' labels; the decision feedback texts quote them. */
const decisionLabels: DecisionCatalog['labels'] = {
  APPROVE: 'Approve',
  REJECT: 'Reject',
  RETURN: 'Send back',
};

export const en: Catalog = {
  lang: 'en',
  notification: {
    types: {
      APPROVAL_REQUESTED: {
        heading: 'Approval requested',
        summary: 'A document is waiting for your approval.',
        actor: 'Applicant',
      },
      APPROVED: {
        heading: 'Approved',
        summary: 'Your document was approved.',
        actor: 'Approved by',
      },
      REJECTED: {
        heading: 'Rejected',
        summary: 'Your document was rejected.',
        actor: 'Rejected by',
      },
      RETURNED: {
        heading: 'Returned',
        summary: 'Your document was sent back for changes. Please revise and resubmit it.',
        actor: 'Returned by',
      },
      COMPLETED: {
        heading: 'Approval completed',
        summary: 'The approval of your document is complete.',
        actor: 'Final approver',
      },
      COMMENTED: {
        heading: 'New comment',
        summary: 'There is a new comment on a document you are part of.',
        actor: 'Comment by',
      },
      CIRCULATED: {
        heading: 'For your information',
        summary: 'A document was circulated to you for reference.',
        actor: 'Applicant',
      },
      WITHDRAWN: {
        heading: 'Withdrawn',
        summary: 'A document waiting for your approval was withdrawn. No action is needed.',
        actor: 'Applicant',
      },
      REMINDER: {
        heading: 'Reminder',
        summary: 'A document is still waiting for your approval.',
        actor: 'Applicant',
      },
    },
    test: {
      heading: 'Test notification',
      summary: 'This is a test message to confirm that WORKPLACE notifications reach you here.',
      actor: 'Sent by',
    },
    comment: 'Comment',
    buttonLabel: 'Open document',
    source: 'WORKPLACE Workflow',
    separator: ': ',
  },
  digest: {
    heading: 'Digest: {n} notifications',
    summary: 'Your notifications collected into one message, newest first.',
    more: 'and {n} more',
    buttonLabel: 'View all',
    pageTitle: 'Digest',
  },
  decision: {
    labels: decisionLabels,
    displayText: { APPROVE: 'Approve', REJECT: 'Reject', RETURN: 'Send back' },
    modal: {
      title: 'Comment',
      submit: 'Send',
      close: 'Cancel',
      commentLabel: 'Comment (optional)',
      hint: 'Tell the applicant why.',
    },
    received: (a) => `Your "${decisionLabels[a]}" was received and is being sent to WORKPLACE.`,
    accepted: (a) => `WORKPLACE accepted your "${decisionLabels[a]}".`,
    refused: (a, reason) => `WORKPLACE refused your "${decisionLabels[a]}": ${reason}`,
    failed: (a) =>
      `Your "${decisionLabels[a]}" could not be delivered to WORKPLACE. Please act in WORKPLACE or contact your administrator.`,
    alreadyDecided: (a, at) => `You already answered "${decisionLabels[a]}" at ${at}.`,
    closed: 'This request is already closed.',
    notAllowed: 'Only the recipients of this request can answer it.',
    invalid: 'This button is not valid. Please act in WORKPLACE.',
  },
  linePage: {
    title: 'LINE linking',
    linked: 'Linked. WORKPLACE notifications will arrive in LINE.',
    pendingFriend: "Almost done: add the company's LINE official account as a friend to finish.",
    scan: 'Scan the QR code with the LINE app and add the account as a friend.',
    openOnPhone: 'On a phone, open this link instead',
    qrAlt: 'QR code to add the official account as a friend',
    expired: 'This link has already been used or has expired (10 minutes).',
    invalid: 'This link is not valid.',
    denied: 'LINE Login was cancelled. Nothing was changed.',
    failed: 'LINE Login could not be confirmed. Nothing was changed.',
    notConfigured: 'LINE is not enabled for your company. Please ask your administrator.',
    taken: 'This LINE account is already linked to another member.',
    again: 'Start again from My information in WORKPLACE.',
  },
  lineLinkCompleted:
    'You have added us as a friend. WORKPLACE workflow notifications will now arrive here.',
  lineWorksBot: {
    botName: 'WORKPLACE Notifications',
    description:
      'Delivers WORKPLACE workflow notifications (approval requests, approvals, returns).',
  },
};
