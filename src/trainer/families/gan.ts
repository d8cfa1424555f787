// Placeholder until the family lands: registered so the protocol, CLI and palette know it.
import { UserError } from '../errors';
import type { ModelFamily } from './family';

export const ganFamily: ModelFamily<'gan'> = {
  family: 'gan',
  create: () => {
    throw new UserError('This family is not implemented yet.', 'Choose another family.');
  },
};
