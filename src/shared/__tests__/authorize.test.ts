import type { Actor } from '../http/authorize';
import { actsForSeller, canScanCampaign, hasRole, isAdmin } from '../http/authorize';

const actor = (over: Partial<Actor>): Actor => ({
  userId: 'u',
  email: 'u@example.test',
  name: 'U',
  roles: ['CUSTOMER'],
  memberships: [],
  ...over,
});

describe('authorization helpers', () => {
  const seller = actor({ userId: 's1', roles: ['CUSTOMER', 'SELLER'] });
  const manager = actor({
    userId: 'm1',
    roles: ['CUSTOMER', 'MANAGER'],
    memberships: [{ sellerId: 's1', role: 'MANAGER', campaignIds: ['c1'] }],
  });
  const finance = actor({
    userId: 'f1',
    roles: ['CUSTOMER', 'FINANCE'],
    memberships: [{ sellerId: 's1', role: 'FINANCE', campaignIds: [] }],
  });

  it('when a user is the seller or a team member, then actsForSeller says so, with the role when asked', () => {
    expect(actsForSeller(seller, 's1')).toBe(true);
    expect(actsForSeller(seller, 's2')).toBe(false);
    expect(actsForSeller(manager, 's1')).toBe(true);
    expect(actsForSeller(manager, 's1', 'FINANCE')).toBe(false);
    expect(actsForSeller(finance, 's1', 'FINANCE')).toBe(true);
    // The user id alone is not enough: a former seller (no SELLER role) acts for nobody.
    expect(actsForSeller(actor({ userId: 's1' }), 's1')).toBe(false);
  });

  it('when a manager is assigned a campaign, then canScanCampaign needs both the seller and the campaign to match', () => {
    expect(canScanCampaign(manager, { id: 'c1', sellerId: 's1' })).toBe(true);
    expect(canScanCampaign(manager, { id: 'c2', sellerId: 's1' })).toBe(false);
    expect(canScanCampaign(manager, { id: 'c1', sellerId: 's2' })).toBe(false);
    expect(canScanCampaign(finance, { id: 'c1', sellerId: 's1' })).toBe(false);
    expect(canScanCampaign(seller, { id: 'anything', sellerId: 's1' })).toBe(true);
  });

  it('when roles are checked, then hasRole and isAdmin read the actor roles', () => {
    expect(hasRole(manager, 'SELLER', 'MANAGER')).toBe(true);
    expect(hasRole(manager, 'SELLER')).toBe(false);
    expect(isAdmin(actor({ roles: ['CUSTOMER', 'SUPER_ADMIN'] }))).toBe(true);
    expect(isAdmin(seller)).toBe(false);
  });
});
